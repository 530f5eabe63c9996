// Linux kprobe_events definitions with the outcome the kernel gives them, gathered from the
// kernel's own documentation and ftrace selftests (tools/testing/selftests/ftrace/test.d/kprobe).
//
// Sources, as repository@commit (no kernel release number is visible in them):
//   tools/testing/selftests/ftrace/test.d/kprobe/kprobe_syntax_errors.tc
//     main source: linux-fsdevel/vfs@f1acde9c1e9fd05b201901763ee068107430d982 (the newest
//     mainline text here: uses $FUNCTION_FORK / $FUNCTION_EXIT, BTF and %return sections); compared with
//     Kingxukai/linux@9b44fff655e2, intel-lab-lkp/linux@6a53f8109632 (adds unmerged typecast checks),
//     kernel-patches/bpf@71e532b95b5b, torvalds/linux@6870112c46c8 and @175502747b6c (older),
//     mhiramat/linux@b5561de657ee (first version, columns given as 1-based numbers).
//   tools/testing/selftests/ftrace/test.d/functions (linux-fsdevel/vfs@f1acde9c): ftrace_errlog_check
//     takes pos = byte length of "${2%^*}" (text before the LAST '^') and deletes every '^' from the
//     command, so column = index of the last '^' in the check_error string, 0-based.
//   kretprobe_maxactive.tc (torvalds/linux@0e42d52e72ab, mhiramat/linux@ac0f6278e3ec),
//   kretprobe_return_suffix.tc (torvalds/linux@9695e7a856bf), probepoint.tc (Kingxukai/linux@9b44fff655e2),
//   kprobe_args_type.tc (Kingxukai/linux@9b44fff655e2), kprobe_args_string.tc (torvalds/linux@0604aa87b098),
//   kprobe_args_char.tc (torvalds/linux@11df28854bee), kprobe_args_comm.tc (torvalds/linux@0b77b9706662),
//   kprobe_args_syntax.tc (torvalds/linux@2700cf837e30; delta-one/linux@ffe1311c638b for s390/mips/loongarch),
//   kprobe_args_symbol.tc (Kingxukai/linux@9b44fff655e2), kprobe_args_user.tc (torvalds/linux@03f0f5ad5847),
//   kprobe_args.tc, add_and_remove.tc, busy_check.tc (torvalds/linux@031616c434db), kretprobe_args.tc
//   (torvalds/linux@1b62f19c3c07), kretprobe_entry_arg.tc (torvalds/linux@a23e19669324),
//   kprobe_eventname.tc (torvalds/linux@30c092337017), kprobe_module.tc (Kingxukai/linux@9b44fff655e2,
//   torvalds/linux@1a416ae446af), kprobe_multiprobe.tc (Kingxukai/linux@9b44fff655e2),
//   kprobe_non_uniq_symbol.tc (torvalds/linux@ba3bdbe0db3f), kprobe_ftrace.tc, profile.tc,
//   multiple_kprobes.tc, kprobe_insn_boundary.tc, kprobe_opt_types.tc (read; the last three probe
//   arbitrary symbol+offset pairs with "|| continue", so they give no fixed outcome and are not recorded).
//   Documentation/trace/kprobetrace.rst (Kingxukai/linux@9b44fff655e2, the newest here; torvalds/linux@010e85f9e47c)
//     and the older Documentation/trace/kprobetrace.txt (torvalds/linux@03b22057e8ed): the same examples.
//   kernel/trace/trace_probe.h ERRORS list: gregkh/linux@0d60e99f2d3e5d061edd31ffe7e60e8255175494, checked
//     against Kingxukai/linux@0291023e7330, ColinIanKing/linux-next@c741b641bfb4 and torvalds/linux@007517a01995.
//   kernel/trace/trace_kprobe.c (__trace_kprobe_create, maxactive parsing) for the derived r4096/r4097/r0 cases.
//
// Shell expansion: definitions are recorded as the kernel receives them (after shell quoting).
// $FUNCTION_FORK is written as kernel_clone (the selftests use _do_fork on kernels without it) and
// $FUNCTION_EXIT as do_exit (task_exit where that exists). Symbol names are kept as in the source;
// numbers the tests compute from /proc/kallsyms are placeholders and say so in `source`.
// Definitions that depend on an existing event list it in `setup` (write those first, in order).
//
// needs: 'memaddr' = @ADDR/@SYM fetch or a probe on a raw address; 'deref' = +|-OFFS(...) fetch;
// 'probe-on-offset' = SYM+OFFS probe point (or an offset that must be checked); 'eventname' = the
// case is about group/event naming rules or automatic names; 'remove' = a -:EVENT line;
// 'user' = +uOFFS / ustring; 'btf' = needs kernel BTF ($arg*, named parameters, typecasts).
// $argN and $retval need no tag.

export interface EventCase {
  /** The definition text exactly as in the kernel source, with the caret marker `^` REMOVED. */
  def: string;
  /** 'ok' if the kernel accepts it, 'error' if it rejects it. */
  outcome: 'ok' | 'error';
  /** For errors: 0-based column of the caret in `def` (where the ^ was), when the test gives one. */
  column?: number;
  /** For errors: the kernel's error code name (e.g. 'BAD_MAXACT', 'NO_EVENT_NAME', 'BAD_FETCH_ARG'). */
  kernelError?: string;
  /** Where it comes from: file name and a short note. */
  source: string;
  /** Optional: features it needs (see the list in the header comment). */
  needs?: string[];
  /** Optional: definitions that must already be written to kprobe_events (in order) for this outcome. */
  setup?: string[];
  /** Optional: another definition the kernel treats as identical (kprobe_events reads back the same). */
  equivalent?: string;
}

/** Cases as the newest mainline copies expect them. */
export const KPROBE_EVENT_CASES: EventCase[] = [
  {
    def: 'p100 vfs_read',
    outcome: 'error',
    column: 1,
    kernelError: 'BAD_MAXACT_TYPE',
    source:
      'kprobe_syntax_errors.tc (linux-fsdevel/vfs@f1acde9c): comment BAD_MAXACT_TYPE (called ' +
      "MAXACT_NO_KPROBE in kernels before the rename); only if README has 'r[maxactive]'",
  },
  {
    def: 'r1a111 vfs_read',
    outcome: 'error',
    column: 1,
    kernelError: 'BAD_MAXACT',
    source: "kprobe_syntax_errors.tc (linux-fsdevel/vfs@f1acde9c): only if README has 'r[maxactive]'",
  },
  {
    def: 'r100000 vfs_read',
    outcome: 'error',
    column: 1,
    kernelError: 'MAXACT_TOO_BIG',
    source:
      "kprobe_syntax_errors.tc (linux-fsdevel/vfs@f1acde9c): only if README has 'r[maxactive]'; limit " +
      'KRETPROBE_MAXACTIVE_MAX=4096',
  },
  {
    def: 'p non_exist_func',
    outcome: 'error',
    column: 2,
    kernelError: 'BAD_PROBE_ADDR',
    source: 'kprobe_syntax_errors.tc (linux-fsdevel/vfs@f1acde9c): BAD_PROBE_ADDR (enoent)',
  },
  {
    def: 'p hoge-fuga',
    outcome: 'error',
    column: 2,
    kernelError: 'BAD_PROBE_ADDR',
    source: 'kprobe_syntax_errors.tc (linux-fsdevel/vfs@f1acde9c): BAD_PROBE_ADDR (bad syntax)',
  },
  {
    def: 'p hoge+1000-1000',
    outcome: 'error',
    column: 2,
    kernelError: 'BAD_PROBE_ADDR',
    source: 'kprobe_syntax_errors.tc (linux-fsdevel/vfs@f1acde9c): BAD_PROBE_ADDR (bad syntax)',
  },
  {
    def: 'r vfs_read+10',
    outcome: 'error',
    column: 2,
    kernelError: 'BAD_RETPROBE',
    source: 'kprobe_syntax_errors.tc (linux-fsdevel/vfs@f1acde9c)',
    needs: ['probe-on-offset'],
  },
  {
    def: 'p:/bar vfs_read',
    outcome: 'error',
    column: 2,
    kernelError: 'NO_GROUP_NAME',
    source: 'kprobe_syntax_errors.tc (linux-fsdevel/vfs@f1acde9c)',
    needs: ['eventname'],
  },
  {
    def: 'p:12345678901234567890123456789012345678901234567890123456789012345/bar vfs_read',
    outcome: 'error',
    column: 2,
    kernelError: 'GROUP_TOO_LONG',
    source: 'kprobe_syntax_errors.tc (linux-fsdevel/vfs@f1acde9c): 65-character group name',
    needs: ['eventname'],
  },
  {
    def: 'p:foo.1/bar vfs_read',
    outcome: 'error',
    column: 2,
    kernelError: 'BAD_GROUP_NAME',
    source: 'kprobe_syntax_errors.tc (linux-fsdevel/vfs@f1acde9c)',
    needs: ['eventname'],
  },
  {
    def: 'p: vfs_read',
    outcome: 'error',
    column: 2,
    kernelError: 'NO_EVENT_NAME',
    source:
      "kprobe_syntax_errors.tc (linux-fsdevel/vfs@f1acde9c): was 'p:foo/^ vfs_read' before GRP/ without " +
      'EVENT became valid (2022)',
    needs: ['eventname'],
  },
  {
    def: 'p:foo/12345678901234567890123456789012345678901234567890123456789012345 vfs_read',
    outcome: 'error',
    column: 6,
    kernelError: 'EVENT_TOO_LONG',
    source: 'kprobe_syntax_errors.tc (linux-fsdevel/vfs@f1acde9c): 65-character event name',
    needs: ['eventname'],
  },
  {
    def: 'p:foo/bar.1 vfs_read',
    outcome: 'error',
    column: 6,
    kernelError: 'BAD_EVENT_NAME',
    source: 'kprobe_syntax_errors.tc (linux-fsdevel/vfs@f1acde9c)',
    needs: ['eventname'],
  },
  {
    def: 'p vfs_read $retval',
    outcome: 'error',
    column: 11,
    kernelError: 'RETVAL_ON_PROBE',
    source:
      'kprobe_syntax_errors.tc (linux-fsdevel/vfs@f1acde9c) | also kprobe_args_syntax.tc ' +
      '(torvalds/linux@2700cf83, delta-one/linux@ffe1311c for s390/mips/loongarch): PROBEFUNC=vfs_read; ' +
      "only if README has 'x8/16/32/64': Retval access on a non-return probe",
  },
  {
    def: 'p vfs_read $stack10000',
    outcome: 'error',
    column: 11,
    kernelError: 'BAD_STACK_NUM',
    source: 'kprobe_syntax_errors.tc (linux-fsdevel/vfs@f1acde9c)',
    needs: ['stack'],
  },
  {
    def: 'p vfs_read $arg10000',
    outcome: 'error',
    column: 11,
    kernelError: 'BAD_ARG_NUM',
    source: "kprobe_syntax_errors.tc (linux-fsdevel/vfs@f1acde9c): only if README has '$arg<N>'",
  },
  {
    def: 'p vfs_read $none_var',
    outcome: 'error',
    column: 11,
    kernelError: 'BAD_VAR',
    source: 'kprobe_syntax_errors.tc (linux-fsdevel/vfs@f1acde9c)',
  },
  {
    def: 'p vfs_read %none_reg',
    outcome: 'error',
    column: 11,
    kernelError: 'BAD_REG_NAME',
    source: 'kprobe_syntax_errors.tc (linux-fsdevel/vfs@f1acde9c)',
  },
  {
    def: 'p vfs_read @12345678abcde',
    outcome: 'error',
    column: 11,
    kernelError: 'BAD_MEM_ADDR',
    source: 'kprobe_syntax_errors.tc (linux-fsdevel/vfs@f1acde9c)',
    needs: ['memaddr'],
  },
  {
    def: 'p vfs_read @+10',
    outcome: 'error',
    column: 11,
    kernelError: 'FILE_ON_KPROBE',
    source: 'kprobe_syntax_errors.tc (linux-fsdevel/vfs@f1acde9c): @+OFFS is the uprobe file-offset syntax',
    needs: ['memaddr'],
  },
  {
    def: 'p vfs_read arg1=\\x',
    outcome: 'error',
    column: 17,
    kernelError: 'BAD_IMM',
    source:
      "kprobe_syntax_errors.tc (linux-fsdevel/vfs@f1acde9c): shell text 'p vfs_read arg1=\\^x'; only if " +
      "README has 'imm-value'",
    needs: ['imm'],
  },
  {
    def: 'p vfs_read arg1=\\"abcd',
    outcome: 'error',
    column: 22,
    kernelError: 'IMMSTR_NO_CLOSE',
    source:
      "kprobe_syntax_errors.tc (linux-fsdevel/vfs@f1acde9c): shell text 'p vfs_read arg1=\\\"abcd^'; only " +
      "if README has 'imm-string'",
    needs: ['imm', 'string'],
  },
  {
    def: 'p vfs_read +0@0)',
    outcome: 'error',
    column: 11,
    kernelError: 'DEREF_NEED_BRACE',
    source: 'kprobe_syntax_errors.tc (linux-fsdevel/vfs@f1acde9c)',
    needs: ['deref', 'memaddr'],
  },
  {
    def: 'p vfs_read +0ab1(@0)',
    outcome: 'error',
    column: 11,
    kernelError: 'BAD_DEREF_OFFS',
    source: 'kprobe_syntax_errors.tc (linux-fsdevel/vfs@f1acde9c)',
    needs: ['deref', 'memaddr'],
  },
  {
    def: 'p vfs_read +0(+0(@0)',
    outcome: 'error',
    column: 19,
    kernelError: 'DEREF_OPEN_BRACE',
    source: 'kprobe_syntax_errors.tc (linux-fsdevel/vfs@f1acde9c)',
    needs: ['deref', 'memaddr'],
  },
  {
    def: 'p vfs_read +0($comm)',
    outcome: 'error',
    column: 14,
    kernelError: 'COMM_CANT_DEREF',
    source:
      'kprobe_syntax_errors.tc (linux-fsdevel/vfs@f1acde9c): only if README lists $comm under fetcharg:',
    needs: ['deref', 'comm'],
  },
  {
    def: 'p vfs_read &1',
    outcome: 'error',
    column: 11,
    kernelError: 'BAD_FETCH_ARG',
    source: 'kprobe_syntax_errors.tc (linux-fsdevel/vfs@f1acde9c)',
  },
  {
    def: 'p vfs_read +0(+0(+0(+0(+0(+0(+0(+0(+0(+0(+0(+0(+0(+0(@0))))))))))))))',
    outcome: 'error',
    column: 14,
    kernelError: 'TOO_MANY_OPS',
    source:
      "kprobe_syntax_errors.tc (linux-fsdevel/vfs@f1acde9c): comment reads 'TOO_MANY_OPS?'; only if README " +
      "has ' <type>\\[<array-size>\\]'",
    needs: ['deref', 'memaddr'],
  },
  {
    def: 'p vfs_read +0(@11):u8[10',
    outcome: 'error',
    column: 24,
    kernelError: 'ARRAY_NO_CLOSE',
    source: 'kprobe_syntax_errors.tc (linux-fsdevel/vfs@f1acde9c): only if README documents arrays',
    needs: ['array', 'deref', 'memaddr'],
  },
  {
    def: 'p vfs_read +0(@11):u8[10]a',
    outcome: 'error',
    column: 25,
    kernelError: 'BAD_ARRAY_SUFFIX',
    source: 'kprobe_syntax_errors.tc (linux-fsdevel/vfs@f1acde9c): only if README documents arrays',
    needs: ['array', 'deref', 'memaddr'],
  },
  {
    def: 'p vfs_read +0(@11):u8[10a]',
    outcome: 'error',
    column: 22,
    kernelError: 'BAD_ARRAY_NUM',
    source: 'kprobe_syntax_errors.tc (linux-fsdevel/vfs@f1acde9c): only if README documents arrays',
    needs: ['array', 'deref', 'memaddr'],
  },
  {
    def: 'p vfs_read +0(@11):u8[256]',
    outcome: 'error',
    column: 22,
    kernelError: 'ARRAY_TOO_BIG',
    source:
      'kprobe_syntax_errors.tc (linux-fsdevel/vfs@f1acde9c): only if README documents arrays; MAX_ARRAY_LEN is 64',
    needs: ['array', 'deref', 'memaddr'],
  },
  {
    def: 'p vfs_read @11:unknown_type',
    outcome: 'error',
    column: 15,
    kernelError: 'BAD_TYPE',
    source: 'kprobe_syntax_errors.tc (linux-fsdevel/vfs@f1acde9c)',
    needs: ['memaddr'],
  },
  {
    def: 'p vfs_read $stack0:string',
    outcome: 'error',
    column: 19,
    kernelError: 'BAD_STRING',
    source: 'kprobe_syntax_errors.tc (linux-fsdevel/vfs@f1acde9c)',
    needs: ['stack', 'string'],
  },
  {
    def: 'p vfs_read @11:b10@a/16',
    outcome: 'error',
    column: 15,
    kernelError: 'BAD_BITFIELD',
    source: 'kprobe_syntax_errors.tc (linux-fsdevel/vfs@f1acde9c)',
    needs: ['bitfield', 'memaddr'],
  },
  {
    def: 'p vfs_read arg123456789012345678901234567890=@11',
    outcome: 'error',
    column: 11,
    kernelError: 'ARG_NAME_TOO_LONG',
    source:
      "kprobe_syntax_errors.tc (linux-fsdevel/vfs@f1acde9c): comment misspelt 'ARG_NAME_TOO_LOG'; " +
      'MAX_ARG_NAME_LEN is 32',
    needs: ['memaddr'],
  },
  {
    def: 'p vfs_read =@11',
    outcome: 'error',
    column: 11,
    kernelError: 'NO_ARG_NAME',
    source: 'kprobe_syntax_errors.tc (linux-fsdevel/vfs@f1acde9c)',
    needs: ['memaddr'],
  },
  {
    def: 'p vfs_read var.1=@11',
    outcome: 'error',
    column: 11,
    kernelError: 'BAD_ARG_NAME',
    source: 'kprobe_syntax_errors.tc (linux-fsdevel/vfs@f1acde9c)',
    needs: ['memaddr'],
  },
  {
    def: 'p vfs_read var1=@11 var1=@12',
    outcome: 'error',
    column: 20,
    kernelError: 'USED_ARG_NAME',
    source: 'kprobe_syntax_errors.tc (linux-fsdevel/vfs@f1acde9c)',
    needs: ['memaddr'],
  },
  {
    def: 'p vfs_read +1234567(+1234567(+1234567(+1234567(+1234567(+1234567(@1234))))))',
    outcome: 'error',
    column: 11,
    kernelError: 'ARG_TOO_LONG',
    source: 'kprobe_syntax_errors.tc (linux-fsdevel/vfs@f1acde9c): MAX_ARGSTR_LEN is 63',
    needs: ['deref', 'memaddr'],
  },
  {
    def: 'p vfs_read arg1=',
    outcome: 'error',
    column: 16,
    kernelError: 'NO_ARG_BODY',
    source: 'kprobe_syntax_errors.tc (linux-fsdevel/vfs@f1acde9c)',
  },
  {
    def: 'p vfs_read+3',
    outcome: 'error',
    column: 2,
    kernelError: 'BAD_INSN_BNDRY',
    source:
      'kprobe_syntax_errors.tc (linux-fsdevel/vfs@f1acde9c): arch x86_64|i[3456]86 only (case $(uname ' +
      '-m)), and only when ../kprobes/list shows the vfs_read probe as FTRACE-based (set up by first ' +
      "writing 'p vfs_read')",
    needs: ['probe-on-offset'],
    setup: ['p vfs_read'],
  },
  {
    def: 'r:kprobes/testevent do_exit',
    outcome: 'error',
    column: 0,
    kernelError: 'DIFF_PROBE_TYPE',
    source:
      'kprobe_syntax_errors.tc (linux-fsdevel/vfs@f1acde9c): multiprobe errors, only if README has ' +
      "'Create/append/' and 'imm-value'; $FUNCTION_FORK expanded to kernel_clone (_do_fork on older " +
      'kernels); $FUNCTION_EXIT expanded to do_exit (task_exit where that exists); older copies had ' +
      'literal do_exit',
    setup: ['p:kprobes/testevent kernel_clone'],
  },
  {
    def: 'p:kprobes/testevent kernel_clone bcd=\\1',
    outcome: 'error',
    column: 33,
    kernelError: 'DIFF_ARG_TYPE',
    source:
      'kprobe_syntax_errors.tc (linux-fsdevel/vfs@f1acde9c): multiprobe errors, only if README has ' +
      "'Create/append/' and 'imm-value'; $FUNCTION_FORK expanded to kernel_clone (_do_fork on older " +
      'kernels) (setup written with printf "%s" so \\1 stays literal)',
    needs: ['imm'],
    setup: ['p:kprobes/testevent kernel_clone abcd=\\1'],
  },
  {
    def: 'p:kprobes/testevent kernel_clone abcd=\\1:u8',
    outcome: 'error',
    column: 33,
    kernelError: 'DIFF_ARG_TYPE',
    source:
      'kprobe_syntax_errors.tc (linux-fsdevel/vfs@f1acde9c): multiprobe errors, only if README has ' +
      "'Create/append/' and 'imm-value'; $FUNCTION_FORK expanded to kernel_clone (_do_fork on older " +
      'kernels) (setup written with printf "%s" so \\1 stays literal)',
    needs: ['imm'],
    setup: ['p:kprobes/testevent kernel_clone abcd=\\1'],
  },
  {
    def: 'p:kprobes/testevent kernel_clone abcd=\\"foo"',
    outcome: 'error',
    column: 33,
    kernelError: 'DIFF_ARG_TYPE',
    source:
      'kprobe_syntax_errors.tc (linux-fsdevel/vfs@f1acde9c): multiprobe errors, only if README has ' +
      "'Create/append/' and 'imm-value'; $FUNCTION_FORK expanded to kernel_clone (_do_fork on older " +
      'kernels) (setup written with printf "%s" so \\1 stays literal)',
    needs: ['imm', 'string'],
    setup: ['p:kprobes/testevent kernel_clone abcd=\\1'],
  },
  {
    def: 'p:kprobes/testevent kernel_clone abcd=\\1',
    outcome: 'error',
    column: 0,
    kernelError: 'SAME_PROBE',
    source:
      'kprobe_syntax_errors.tc (linux-fsdevel/vfs@f1acde9c): multiprobe errors, only if README has ' +
      "'Create/append/' and 'imm-value'; $FUNCTION_FORK expanded to kernel_clone (_do_fork on older " +
      'kernels) (setup written with printf "%s" so \\1 stays literal)',
    needs: ['imm'],
    setup: ['p:kprobes/testevent kernel_clone abcd=\\1'],
  },
  {
    def: 'p vfs_read%hoge',
    outcome: 'error',
    column: 10,
    kernelError: 'BAD_ADDR_SUFFIX',
    source:
      'kprobe_syntax_errors.tc (linux-fsdevel/vfs@f1acde9c): %return suffix errors, only if README has ' +
      "'place (kretprobe): ...%return'",
  },
  {
    def: 'p vfs_read+10%return',
    outcome: 'error',
    column: 2,
    kernelError: 'BAD_RETPROBE',
    source:
      'kprobe_syntax_errors.tc (linux-fsdevel/vfs@f1acde9c): %return suffix errors, only if README has ' +
      "'place (kretprobe): ...%return'",
    needs: ['probe-on-offset'],
  },
  {
    def: 'p vfs_read args=$arg*',
    outcome: 'error',
    column: 16,
    kernelError: 'BAD_VAR_ARGS',
    source:
      'kprobe_syntax_errors.tc (linux-fsdevel/vfs@f1acde9c): BTF argument errors, only if README has ' +
      "'<argname>' (BTF args supported)",
    needs: ['btf'],
  },
  {
    def: 'p vfs_read +0($arg*)',
    outcome: 'error',
    column: 14,
    kernelError: 'BAD_VAR_ARGS',
    source:
      'kprobe_syntax_errors.tc (linux-fsdevel/vfs@f1acde9c): BTF argument errors, only if README has ' +
      "'<argname>' (BTF args supported)",
    needs: ['btf'],
  },
  {
    def: 'p vfs_read $arg* $arg*',
    outcome: 'error',
    column: 17,
    kernelError: 'DOUBLE_ARGS',
    source:
      'kprobe_syntax_errors.tc (linux-fsdevel/vfs@f1acde9c): BTF argument errors, only if README has ' +
      "'<argname>' (BTF args supported)",
    needs: ['btf'],
  },
  {
    def: 'p vfs_read+20 $arg*',
    outcome: 'error',
    column: 14,
    kernelError: 'NOFENTRY_ARGS',
    source:
      'kprobe_syntax_errors.tc (linux-fsdevel/vfs@f1acde9c): BTF argument errors, only if README has ' +
      "'<argname>' (BTF args supported); offset was +8 before ppc64le fix (see " +
      'KPROBE_EVENT_CASES_HISTORICAL)',
    needs: ['btf'],
  },
  {
    def: 'p vfs_read hoge',
    outcome: 'error',
    column: 11,
    kernelError: 'NO_BTFARG',
    source:
      'kprobe_syntax_errors.tc (linux-fsdevel/vfs@f1acde9c): BTF argument errors, only if README has ' +
      "'<argname>' (BTF args supported)",
    needs: ['btf'],
  },
  {
    def: 'p kfree $arg10',
    outcome: 'error',
    column: 8,
    kernelError: 'NO_BTFARG',
    source:
      'kprobe_syntax_errors.tc (linux-fsdevel/vfs@f1acde9c): BTF argument errors, only if README has ' +
      "'<argname>' (BTF args supported) (exceed the number of parameters)",
    needs: ['btf'],
  },
  {
    def: 'r kfree $retval',
    outcome: 'error',
    column: 8,
    kernelError: 'NO_RETVAL',
    source:
      'kprobe_syntax_errors.tc (linux-fsdevel/vfs@f1acde9c): BTF argument errors, only if README has ' +
      "'<argname>' (BTF args supported) (kfree returns void)",
    needs: ['btf'],
  },
  {
    def: 'p vfs_read $arg*',
    outcome: 'error',
    column: 11,
    kernelError: 'NOSUP_BTFARG',
    source:
      'kprobe_syntax_errors.tc (linux-fsdevel/vfs@f1acde9c): else-branch, the expected error on a kernel ' +
      "WITHOUT BTF argument support (README lacks '<argname>'); with BTF this definition is accepted",
  },
  {
    def: 'p:myprobe do_sys_open dfd=%ax filename=%dx flags=%cx mode=+4($stack)',
    outcome: 'ok',
    source:
      'kprobetrace.rst (Kingxukai/linux@9b44fff6; same examples in torvalds/linux@010e85f9 and ' +
      'kprobetrace.txt@03b22057): Usage examples (also Kernel Boot Parameter section); x86 register names, ' +
      'the %ax/%dx/%cx order being the i386 regparm convention',
    needs: ['deref', 'stack'],
  },
  {
    def: 'r:myretprobe do_sys_open $retval',
    outcome: 'ok',
    source:
      'kprobetrace.rst (Kingxukai/linux@9b44fff6; same examples in torvalds/linux@010e85f9 and ' +
      'kprobetrace.txt@03b22057): Usage examples',
  },
  {
    def: '-:myprobe',
    outcome: 'ok',
    source:
      'kprobetrace.rst (Kingxukai/linux@9b44fff6; same examples in torvalds/linux@010e85f9 and ' +
      'kprobetrace.txt@03b22057): Usage examples ("clears probe points selectively"), after the p:myprobe ' +
      'definition',
    needs: ['remove'],
    setup: ['p:myprobe do_sys_open dfd=%ax filename=%dx flags=%cx mode=+4($stack)'],
  },
  {
    def: 'p:myprobe do_sys_open $stack1:x8[8]',
    outcome: 'error',
    source:
      'kprobetrace.rst (Kingxukai/linux@9b44fff6, torvalds/linux@010e85f9; not in the older ' +
      "kprobetrace.txt): Types section, fetcharg written inline in prose; wrapped here as 'p:myprobe " +
      "do_sys_open <fetcharg>' by this file: \"'$stack1:x8[8]' is wrong\" (arrays only on memory fetchargs)",
    needs: ['array', 'stack'],
  },
  {
    def: 'p:myprobe do_sys_open +8($stack):x8[8]',
    outcome: 'ok',
    source:
      'kprobetrace.rst (Kingxukai/linux@9b44fff6, torvalds/linux@010e85f9; not in the older ' +
      "kprobetrace.txt): Types section, fetcharg written inline in prose; wrapped here as 'p:myprobe " +
      "do_sys_open <fetcharg>' by this file: \"'+8($stack):x8[8]' is OK\"",
    needs: ['array', 'stack', 'deref'],
  },
  {
    def: 'p:myprobe do_sys_open +0(%di):x32[1]',
    outcome: 'ok',
    source:
      'kprobetrace.rst (Kingxukai/linux@9b44fff6, torvalds/linux@010e85f9; not in the older ' +
      "kprobetrace.txt): Types section, fetcharg written inline in prose; wrapped here as 'p:myprobe " +
      'do_sys_open <fetcharg>\' by this file: x86_64 register; "is same as +0(%di):x32"',
    needs: ['array', 'deref'],
  },
  {
    def: 'p:myprobe do_sys_open +0(%di):x32',
    outcome: 'ok',
    source:
      'kprobetrace.rst (Kingxukai/linux@9b44fff6, torvalds/linux@010e85f9; not in the older ' +
      "kprobetrace.txt): Types section, fetcharg written inline in prose; wrapped here as 'p:myprobe " +
      "do_sys_open <fetcharg>' by this file: x86_64 register",
    needs: ['deref'],
  },
  {
    def: 'p:myprobe do_sys_open +0(%di):string[1]',
    outcome: 'ok',
    source:
      'kprobetrace.rst (Kingxukai/linux@9b44fff6, torvalds/linux@010e85f9; not in the older ' +
      "kprobetrace.txt): Types section, fetcharg written inline in prose; wrapped here as 'p:myprobe " +
      'do_sys_open <fetcharg>\' by this file: x86_64 register; "is equal to +0(+0(%di)):string"',
    needs: ['array', 'string', 'deref'],
  },
  {
    def: 'p:myprobe do_sys_open +0(+0(%di)):string',
    outcome: 'ok',
    source:
      'kprobetrace.rst (Kingxukai/linux@9b44fff6, torvalds/linux@010e85f9; not in the older ' +
      "kprobetrace.txt): Types section, fetcharg written inline in prose; wrapped here as 'p:myprobe " +
      "do_sys_open <fetcharg>' by this file: x86_64 register",
    needs: ['string', 'deref'],
  },
  {
    def: 'p:myprobe do_sys_open +u4(%si)',
    outcome: 'ok',
    source:
      'kprobetrace.rst (Kingxukai/linux@9b44fff6, torvalds/linux@010e85f9; not in the older ' +
      "kprobetrace.txt): User Memory Access section, fetcharg in prose; wrapped as 'p:myprobe do_sys_open " +
      "<fetcharg>' by this file; x86_64 register",
    needs: ['user', 'deref'],
  },
  {
    def: 'p:myprobe do_sys_open +u0(%si):string',
    outcome: 'ok',
    source:
      'kprobetrace.rst (Kingxukai/linux@9b44fff6, torvalds/linux@010e85f9; not in the older ' +
      "kprobetrace.txt): User Memory Access section, fetcharg in prose; wrapped as 'p:myprobe do_sys_open " +
      "<fetcharg>' by this file; x86_64 register; equivalent to +0(%si):ustring",
    needs: ['user', 'deref', 'string'],
  },
  {
    def: 'p:myprobe do_sys_open +0(%si):ustring',
    outcome: 'ok',
    source:
      'kprobetrace.rst (Kingxukai/linux@9b44fff6, torvalds/linux@010e85f9; not in the older ' +
      "kprobetrace.txt): User Memory Access section, fetcharg in prose; wrapped as 'p:myprobe do_sys_open " +
      "<fetcharg>' by this file; x86_64 register",
    needs: ['user', 'deref', 'string'],
  },
  {
    def: 'p:foo/ vfs_read',
    outcome: 'ok',
    source:
      "LKML 2022-07 '[PATCH] selftests/kprobe: Do not test for GRP/ without event failures' (Rostedt, " +
      'acked by Hiramatsu): now creates p:foo/p_vfs_read_0; matches the p[:[GRP/][EVENT]] synopsis in ' +
      'newer kprobetrace.rst',
    needs: ['eventname'],
  },
  {
    def: 'a:myprobeaccept inet_csk_accept',
    outcome: 'error',
    source:
      'kretprobe_maxactive.tc (torvalds/linux@0e42d52e, mhiramat/linux@ac0f6278): "reject unknown ' +
      'messages" (not a kprobe command; no error_log entry expected)',
  },
  {
    def: 'r1000000:myprobeaccept inet_csk_accept',
    outcome: 'error',
    kernelError: 'MAXACT_TOO_BIG',
    source:
      'kretprobe_maxactive.tc (torvalds/linux@0e42d52e, mhiramat/linux@ac0f6278): "reject too big ' +
      'maxactive"; error name from trace_kprobe.c (maxactive > KRETPROBE_MAXACTIVE_MAX, logged at column 1)',
  },
  {
    def: 'r10fuzz:myprobeaccept inet_csk_accept',
    outcome: 'error',
    kernelError: 'BAD_MAXACT',
    source:
      'kretprobe_maxactive.tc (torvalds/linux@0e42d52e, mhiramat/linux@ac0f6278): "reject unparsable ' +
      'numbers for maxactive"; error name from trace_kprobe.c (kstrtouint fails, logged at column 1)',
  },
  {
    def: 'r:myprobeaccept inet_csk_accept',
    outcome: 'ok',
    source:
      'kretprobe_maxactive.tc (torvalds/linux@0e42d52e, mhiramat/linux@ac0f6278): event name without maxactive',
  },
  {
    def: '-:myprobeaccept',
    outcome: 'ok',
    source:
      'kretprobe_maxactive.tc (torvalds/linux@0e42d52e, mhiramat/linux@ac0f6278): removal after r:myprobeaccept',
    needs: ['remove'],
    setup: ['r:myprobeaccept inet_csk_accept'],
  },
  {
    def: 'r10:myprobeaccept inet_csk_accept',
    outcome: 'ok',
    source:
      'kretprobe_maxactive.tc (torvalds/linux@0e42d52e, mhiramat/linux@ac0f6278): event name with small maxactive',
  },
  {
    def: 'r inet_csk_accept',
    outcome: 'ok',
    source:
      'kretprobe_maxactive.tc (torvalds/linux@0e42d52e, mhiramat/linux@ac0f6278): no event name, no maxactive',
  },
  {
    def: 'r10 inet_csk_accept',
    outcome: 'ok',
    source:
      'kretprobe_maxactive.tc (torvalds/linux@0e42d52e, mhiramat/linux@ac0f6278): no event name, small maxactive',
  },
  {
    def: 'r4096:myprobeaccept inet_csk_accept',
    outcome: 'ok',
    source:
      'NOT in any test: derived from kernel/trace/trace_kprobe.c (#define KRETPROBE_MAXACTIVE_MAX 4096; ' +
      '"if (ret || !maxactive) BAD_MAXACT"; "if (maxactive > KRETPROBE_MAXACTIVE_MAX) MAXACT_TOO_BIG", ' +
      'both logged at column 1): the limit itself is accepted',
  },
  {
    def: 'r4097:myprobeaccept inet_csk_accept',
    outcome: 'error',
    column: 1,
    kernelError: 'MAXACT_TOO_BIG',
    source:
      'NOT in any test: derived from kernel/trace/trace_kprobe.c (#define KRETPROBE_MAXACTIVE_MAX 4096; ' +
      '"if (ret || !maxactive) BAD_MAXACT"; "if (maxactive > KRETPROBE_MAXACTIVE_MAX) MAXACT_TOO_BIG", ' +
      'both logged at column 1): one past the limit',
  },
  {
    def: 'r0:myprobeaccept inet_csk_accept',
    outcome: 'error',
    column: 1,
    kernelError: 'BAD_MAXACT',
    source:
      'NOT in any test: derived from kernel/trace/trace_kprobe.c (#define KRETPROBE_MAXACTIVE_MAX 4096; ' +
      '"if (ret || !maxactive) BAD_MAXACT"; "if (maxactive > KRETPROBE_MAXACTIVE_MAX) MAXACT_TOO_BIG", ' +
      'both logged at column 1): zero is rejected by the code even though kprobetrace.rst says "or 0 for ' +
      'the default value"',
  },
  {
    def: 'r:myprobeaccept vfs_read',
    outcome: 'ok',
    source:
      'kretprobe_return_suffix.tc (torvalds/linux@9695e7a8): only if README has ' +
      "'<symbol>[+<offset>]%return': reference r-command",
  },
  {
    def: 'p:myprobeaccept vfs_read%return',
    outcome: 'ok',
    source:
      'kretprobe_return_suffix.tc (torvalds/linux@9695e7a8): only if README has ' +
      "'<symbol>[+<offset>]%return': kprobe_events must read back exactly as for 'r:myprobeaccept vfs_read'",
    equivalent: 'r:myprobeaccept vfs_read',
  },
  {
    def: 'p:testprobe tracefs_create_dir',
    outcome: 'ok',
    source:
      'probepoint.tc (Kingxukai/linux@9b44fff6): TARGET_FUNC=tracefs_create_dir; addresses/offsets are ' +
      'computed from /proc/kallsyms, the numbers here are PLACEHOLDERS: plain symbol',
  },
  {
    def: 'p:testprobe 0xffffffff81234560',
    outcome: 'ok',
    source:
      'probepoint.tc (Kingxukai/linux@9b44fff6): TARGET_FUNC=tracefs_create_dir; addresses/offsets are ' +
      'computed from /proc/kallsyms, the numbers here are PLACEHOLDERS: TARGET = 0x<address of ' +
      'tracefs_create_dir>',
    needs: ['memaddr'],
  },
  {
    def: 'p:testprobe tracefs_create_dir+96',
    outcome: 'ok',
    source:
      'probepoint.tc (Kingxukai/linux@9b44fff6): TARGET_FUNC=tracefs_create_dir; addresses/offsets are ' +
      'computed from /proc/kallsyms, the numbers here are PLACEHOLDERS: NEXT = +(address of next symbol - ' +
      'address of tracefs_create_dir)',
    needs: ['probe-on-offset'],
  },
  {
    def: 'p:testprobe tracefs_create_dir-64',
    outcome: 'error',
    source:
      'probepoint.tc (Kingxukai/linux@9b44fff6): TARGET_FUNC=tracefs_create_dir; addresses/offsets are ' +
      'computed from /proc/kallsyms, the numbers here are PLACEHOLDERS: PREV = (address of previous symbol ' +
      '- address of tracefs_create_dir), a negative offset',
    needs: ['probe-on-offset'],
  },
  {
    def: 'p:testprobe tracefs_create_dir+0xffffffffffffffc0',
    outcome: 'error',
    source:
      'probepoint.tc (Kingxukai/linux@9b44fff6): TARGET_FUNC=tracefs_create_dir; addresses/offsets are ' +
      'computed from /proc/kallsyms, the numbers here are PLACEHOLDERS: OVERFLOW = +printf 0x%x of PREV ' +
      '(unsigned wrap of the negative offset); only run when printf "%x" -1 is not 8 hex digits (64-bit ' +
      'shell arithmetic)',
    needs: ['probe-on-offset'],
  },
  {
    def: 'p:testprobe kernel_clone $stack0:s64 $stack0:u64 $stack0:x64 $stack0:b4@4/64',
    outcome: 'ok',
    source:
      'kprobe_args_type.tc (Kingxukai/linux@9b44fff6): gen_event for each width, $FUNCTION_FORK expanded ' +
      "to kernel_clone; only if README has 'x8/16/32/64': width 64",
    needs: ['stack', 'bitfield'],
  },
  {
    def: 'p:testprobe kernel_clone $stack0:s32 $stack0:u32 $stack0:x32 $stack0:b4@4/32',
    outcome: 'ok',
    source:
      'kprobe_args_type.tc (Kingxukai/linux@9b44fff6): gen_event for each width, $FUNCTION_FORK expanded ' +
      "to kernel_clone; only if README has 'x8/16/32/64': width 32",
    needs: ['stack', 'bitfield'],
  },
  {
    def: 'p:testprobe kernel_clone $stack0:s16 $stack0:u16 $stack0:x16 $stack0:b4@4/16',
    outcome: 'ok',
    source:
      'kprobe_args_type.tc (Kingxukai/linux@9b44fff6): gen_event for each width, $FUNCTION_FORK expanded ' +
      "to kernel_clone; only if README has 'x8/16/32/64': width 16",
    needs: ['stack', 'bitfield'],
  },
  {
    def: 'p:testprobe kernel_clone $stack0:s8 $stack0:u8 $stack0:x8 $stack0:b4@4/8',
    outcome: 'ok',
    source:
      'kprobe_args_type.tc (Kingxukai/linux@9b44fff6): gen_event for each width, $FUNCTION_FORK expanded ' +
      "to kernel_clone; only if README has 'x8/16/32/64': width 8",
    needs: ['stack', 'bitfield'],
  },
  {
    def: '-:testprobe',
    outcome: 'ok',
    source:
      'kprobe_args_type.tc (Kingxukai/linux@9b44fff6): gen_event for each width, $FUNCTION_FORK expanded ' +
      "to kernel_clone; only if README has 'x8/16/32/64': removal between widths",
    needs: ['remove'],
    setup: ['p:testprobe kernel_clone $stack0:s8 $stack0:u8 $stack0:x8 $stack0:b4@4/8'],
  },
  {
    def: 'p:testprobe tracefs_create_dir arg1=+0(%di):string',
    outcome: 'ok',
    source: 'kprobe_args_string.tc (torvalds/linux@0604aa87): arch x86_64 (ARG1=%di)',
    needs: ['deref', 'string'],
  },
  {
    def: 'p:testprobe tracefs_create_dir arg1=+0(%di):string arg2=+0(%di):string',
    outcome: 'ok',
    source: 'kprobe_args_string.tc (torvalds/linux@0604aa87): arch x86_64 (ARG1=%di)',
    needs: ['deref', 'string'],
  },
  {
    def: 'p:testprobe tracefs_create_dir arg1=+0(%ax):string',
    outcome: 'ok',
    source: 'kprobe_args_string.tc (torvalds/linux@0604aa87): arch i[3456]86 (ARG1=%ax)',
    needs: ['deref', 'string'],
  },
  {
    def: 'p:testprobe tracefs_create_dir arg1=+0(%ax):string arg2=+0(%ax):string',
    outcome: 'ok',
    source: 'kprobe_args_string.tc (torvalds/linux@0604aa87): arch i[3456]86 (ARG1=%ax)',
    needs: ['deref', 'string'],
  },
  {
    def: 'p:testprobe tracefs_create_dir arg1=+0(%x0):string',
    outcome: 'ok',
    source: 'kprobe_args_string.tc (torvalds/linux@0604aa87): arch aarch64 (ARG1=%x0)',
    needs: ['deref', 'string'],
  },
  {
    def: 'p:testprobe tracefs_create_dir arg1=+0(%x0):string arg2=+0(%x0):string',
    outcome: 'ok',
    source: 'kprobe_args_string.tc (torvalds/linux@0604aa87): arch aarch64 (ARG1=%x0)',
    needs: ['deref', 'string'],
  },
  {
    def: 'p:testprobe tracefs_create_dir arg1=+0(%r0):string',
    outcome: 'ok',
    source: 'kprobe_args_string.tc (torvalds/linux@0604aa87): arch arm* (ARG1=%r0)',
    needs: ['deref', 'string'],
  },
  {
    def: 'p:testprobe tracefs_create_dir arg1=+0(%r0):string arg2=+0(%r0):string',
    outcome: 'ok',
    source: 'kprobe_args_string.tc (torvalds/linux@0604aa87): arch arm* (ARG1=%r0)',
    needs: ['deref', 'string'],
  },
  {
    def: 'p:testprobe tracefs_create_dir arg1=+0(%r3):string',
    outcome: 'ok',
    source: 'kprobe_args_string.tc (torvalds/linux@0604aa87): arch ppc64* and ppc* (ARG1=%r3)',
    needs: ['deref', 'string'],
  },
  {
    def: 'p:testprobe tracefs_create_dir arg1=+0(%r3):string arg2=+0(%r3):string',
    outcome: 'ok',
    source: 'kprobe_args_string.tc (torvalds/linux@0604aa87): arch ppc64* and ppc* (ARG1=%r3)',
    needs: ['deref', 'string'],
  },
  {
    def: 'p:testprobe tracefs_create_dir arg1=+0(%r2):string',
    outcome: 'ok',
    source: 'kprobe_args_string.tc (torvalds/linux@0604aa87): arch s390* (ARG1=%r2)',
    needs: ['deref', 'string'],
  },
  {
    def: 'p:testprobe tracefs_create_dir arg1=+0(%r2):string arg2=+0(%r2):string',
    outcome: 'ok',
    source: 'kprobe_args_string.tc (torvalds/linux@0604aa87): arch s390* (ARG1=%r2)',
    needs: ['deref', 'string'],
  },
  {
    def: 'p:testprobe tracefs_create_dir arg1=+0(%r4):string',
    outcome: 'ok',
    source: 'kprobe_args_string.tc (torvalds/linux@0604aa87): arch mips* and loongarch* (ARG1=%r4)',
    needs: ['deref', 'string'],
  },
  {
    def: 'p:testprobe tracefs_create_dir arg1=+0(%r4):string arg2=+0(%r4):string',
    outcome: 'ok',
    source: 'kprobe_args_string.tc (torvalds/linux@0604aa87): arch mips* and loongarch* (ARG1=%r4)',
    needs: ['deref', 'string'],
  },
  {
    def: 'p:test kernel_clone',
    outcome: 'ok',
    source:
      'kprobe_args_string.tc (torvalds/linux@0604aa87): appended with >> to trigger the probe ' +
      '($FUNCTION_FORK expanded to kernel_clone)',
  },
  {
    def: 'p:testprobe tracefs_create_dir arg1=+0(%di):char',
    outcome: 'ok',
    source:
      'kprobe_args_char.tc (torvalds/linux@11df2885): DIR_NAME is eventfs_add_dir when available, else ' +
      'tracefs_create_dir: arch x86_64 (ARG1=%di)',
    needs: ['deref', 'char'],
  },
  {
    def: 'p:testprobe tracefs_create_dir arg1=+0(%di):char arg2=+0(%di):char[4]',
    outcome: 'ok',
    source:
      'kprobe_args_char.tc (torvalds/linux@11df2885): DIR_NAME is eventfs_add_dir when available, else ' +
      'tracefs_create_dir: arch x86_64 (ARG1=%di)',
    needs: ['deref', 'char', 'array'],
  },
  {
    def: 'p:testprobe tracefs_create_dir arg1=+0(%ax):char',
    outcome: 'ok',
    source:
      'kprobe_args_char.tc (torvalds/linux@11df2885): DIR_NAME is eventfs_add_dir when available, else ' +
      'tracefs_create_dir: arch i[3456]86 (ARG1=%ax)',
    needs: ['deref', 'char'],
  },
  {
    def: 'p:testprobe tracefs_create_dir arg1=+0(%ax):char arg2=+0(%ax):char[4]',
    outcome: 'ok',
    source:
      'kprobe_args_char.tc (torvalds/linux@11df2885): DIR_NAME is eventfs_add_dir when available, else ' +
      'tracefs_create_dir: arch i[3456]86 (ARG1=%ax)',
    needs: ['deref', 'char', 'array'],
  },
  {
    def: 'p:testprobe tracefs_create_dir arg1=+0(%x0):char',
    outcome: 'ok',
    source:
      'kprobe_args_char.tc (torvalds/linux@11df2885): DIR_NAME is eventfs_add_dir when available, else ' +
      'tracefs_create_dir: arch aarch64 (ARG1=%x0)',
    needs: ['deref', 'char'],
  },
  {
    def: 'p:testprobe tracefs_create_dir arg1=+0(%x0):char arg2=+0(%x0):char[4]',
    outcome: 'ok',
    source:
      'kprobe_args_char.tc (torvalds/linux@11df2885): DIR_NAME is eventfs_add_dir when available, else ' +
      'tracefs_create_dir: arch aarch64 (ARG1=%x0)',
    needs: ['deref', 'char', 'array'],
  },
  {
    def: 'p:testprobe tracefs_create_dir arg1=+0(%r0):char',
    outcome: 'ok',
    source:
      'kprobe_args_char.tc (torvalds/linux@11df2885): DIR_NAME is eventfs_add_dir when available, else ' +
      'tracefs_create_dir: arch arm* (ARG1=%r0)',
    needs: ['deref', 'char'],
  },
  {
    def: 'p:testprobe tracefs_create_dir arg1=+0(%r0):char arg2=+0(%r0):char[4]',
    outcome: 'ok',
    source:
      'kprobe_args_char.tc (torvalds/linux@11df2885): DIR_NAME is eventfs_add_dir when available, else ' +
      'tracefs_create_dir: arch arm* (ARG1=%r0)',
    needs: ['deref', 'char', 'array'],
  },
  {
    def: 'p:testprobe tracefs_create_dir arg1=+0(%r3):char',
    outcome: 'ok',
    source:
      'kprobe_args_char.tc (torvalds/linux@11df2885): DIR_NAME is eventfs_add_dir when available, else ' +
      'tracefs_create_dir: arch ppc64* and ppc* (ARG1=%r3)',
    needs: ['deref', 'char'],
  },
  {
    def: 'p:testprobe tracefs_create_dir arg1=+0(%r3):char arg2=+0(%r3):char[4]',
    outcome: 'ok',
    source:
      'kprobe_args_char.tc (torvalds/linux@11df2885): DIR_NAME is eventfs_add_dir when available, else ' +
      'tracefs_create_dir: arch ppc64* and ppc* (ARG1=%r3)',
    needs: ['deref', 'char', 'array'],
  },
  {
    def: 'p:testprobe tracefs_create_dir arg1=+0(%r2):char',
    outcome: 'ok',
    source:
      'kprobe_args_char.tc (torvalds/linux@11df2885): DIR_NAME is eventfs_add_dir when available, else ' +
      'tracefs_create_dir: arch s390* (ARG1=%r2)',
    needs: ['deref', 'char'],
  },
  {
    def: 'p:testprobe tracefs_create_dir arg1=+0(%r2):char arg2=+0(%r2):char[4]',
    outcome: 'ok',
    source:
      'kprobe_args_char.tc (torvalds/linux@11df2885): DIR_NAME is eventfs_add_dir when available, else ' +
      'tracefs_create_dir: arch s390* (ARG1=%r2)',
    needs: ['deref', 'char', 'array'],
  },
  {
    def: 'p:testprobe tracefs_create_dir arg1=+0(%r4):char',
    outcome: 'ok',
    source:
      'kprobe_args_char.tc (torvalds/linux@11df2885): DIR_NAME is eventfs_add_dir when available, else ' +
      'tracefs_create_dir: arch mips* and loongarch* (ARG1=%r4)',
    needs: ['deref', 'char'],
  },
  {
    def: 'p:testprobe tracefs_create_dir arg1=+0(%r4):char arg2=+0(%r4):char[4]',
    outcome: 'ok',
    source:
      'kprobe_args_char.tc (torvalds/linux@11df2885): DIR_NAME is eventfs_add_dir when available, else ' +
      'tracefs_create_dir: arch mips* and loongarch* (ARG1=%r4)',
    needs: ['deref', 'char', 'array'],
  },
  {
    def: 'p:testprobe tracefs_create_dir arg1=+0(%a0):char',
    outcome: 'ok',
    source:
      'kprobe_args_char.tc (torvalds/linux@11df2885): DIR_NAME is eventfs_add_dir when available, else ' +
      'tracefs_create_dir: arch riscv* (ARG1=%a0)',
    needs: ['deref', 'char'],
  },
  {
    def: 'p:testprobe tracefs_create_dir arg1=+0(%a0):char arg2=+0(%a0):char[4]',
    outcome: 'ok',
    source:
      'kprobe_args_char.tc (torvalds/linux@11df2885): DIR_NAME is eventfs_add_dir when available, else ' +
      'tracefs_create_dir: arch riscv* (ARG1=%a0)',
    needs: ['deref', 'char', 'array'],
  },
  {
    def: 'p:testprobe eventfs_add_dir arg1=+0(%di):char',
    outcome: 'ok',
    source:
      'kprobe_args_char.tc (torvalds/linux@11df2885): DIR_NAME is eventfs_add_dir when available, else ' +
      'tracefs_create_dir: arch x86_64, eventfs_add_dir variant',
    needs: ['deref', 'char'],
  },
  {
    def: 'p vfs_read %ax',
    outcome: 'ok',
    source:
      'kprobe_args_syntax.tc (torvalds/linux@2700cf83, delta-one/linux@ffe1311c for s390/mips/loongarch): ' +
      "PROBEFUNC=vfs_read; only if README has 'x8/16/32/64': Register access, GOODREG on arch " +
      'x86_64|i[3456]86',
  },
  {
    def: 'p vfs_read %ex',
    outcome: 'error',
    source:
      'kprobe_args_syntax.tc (torvalds/linux@2700cf83, delta-one/linux@ffe1311c for s390/mips/loongarch): ' +
      "PROBEFUNC=vfs_read; only if README has 'x8/16/32/64': Register access, BADREG on arch " +
      'x86_64|i[3456]86',
  },
  {
    def: 'p vfs_read %x0',
    outcome: 'ok',
    source:
      'kprobe_args_syntax.tc (torvalds/linux@2700cf83, delta-one/linux@ffe1311c for s390/mips/loongarch): ' +
      "PROBEFUNC=vfs_read; only if README has 'x8/16/32/64': Register access, GOODREG on arch aarch64",
  },
  {
    def: 'p vfs_read %r0',
    outcome: 'ok',
    source:
      'kprobe_args_syntax.tc (torvalds/linux@2700cf83, delta-one/linux@ffe1311c for s390/mips/loongarch): ' +
      "PROBEFUNC=vfs_read; only if README has 'x8/16/32/64': Register access, GOODREG on arch arm*",
  },
  {
    def: 'p vfs_read %r3',
    outcome: 'ok',
    source:
      'kprobe_args_syntax.tc (torvalds/linux@2700cf83, delta-one/linux@ffe1311c for s390/mips/loongarch): ' +
      "PROBEFUNC=vfs_read; only if README has 'x8/16/32/64': Register access, GOODREG on arch ppc*",
  },
  {
    def: 'p vfs_read %msr',
    outcome: 'error',
    source:
      'kprobe_args_syntax.tc (torvalds/linux@2700cf83, delta-one/linux@ffe1311c for s390/mips/loongarch): ' +
      "PROBEFUNC=vfs_read; only if README has 'x8/16/32/64': Register access, BADREG on arch ppc*",
  },
  {
    def: 'p vfs_read %r2',
    outcome: 'ok',
    source:
      'kprobe_args_syntax.tc (torvalds/linux@2700cf83, delta-one/linux@ffe1311c for s390/mips/loongarch): ' +
      "PROBEFUNC=vfs_read; only if README has 'x8/16/32/64': Register access, GOODREG on arch s390*",
  },
  {
    def: 'p vfs_read %s2',
    outcome: 'error',
    source:
      'kprobe_args_syntax.tc (torvalds/linux@2700cf83, delta-one/linux@ffe1311c for s390/mips/loongarch): ' +
      "PROBEFUNC=vfs_read; only if README has 'x8/16/32/64': Register access, BADREG on arch s390*",
  },
  {
    def: 'p vfs_read %r4',
    outcome: 'ok',
    source:
      'kprobe_args_syntax.tc (torvalds/linux@2700cf83, delta-one/linux@ffe1311c for s390/mips/loongarch): ' +
      "PROBEFUNC=vfs_read; only if README has 'x8/16/32/64': Register access, GOODREG on arch mips* and " +
      'loongarch*',
  },
  {
    def: 'p vfs_read %r12',
    outcome: 'error',
    source:
      'kprobe_args_syntax.tc (torvalds/linux@2700cf83, delta-one/linux@ffe1311c for s390/mips/loongarch): ' +
      "PROBEFUNC=vfs_read; only if README has 'x8/16/32/64': Register access, BADREG on arch mips* and " +
      'loongarch*',
  },
  {
    def: 'p vfs_read %ax',
    outcome: 'error',
    source:
      'kprobe_args_syntax.tc (torvalds/linux@2700cf83, delta-one/linux@ffe1311c for s390/mips/loongarch): ' +
      "PROBEFUNC=vfs_read; only if README has 'x8/16/32/64': Register access, BADREG on arch aarch64 and " +
      'arm* (x86 register name; on x86 it is GOODREG)',
  },
  {
    def: 'p vfs_read @_sdata',
    outcome: 'ok',
    source:
      'kprobe_args_syntax.tc (torvalds/linux@2700cf83, delta-one/linux@ffe1311c for s390/mips/loongarch): ' +
      "PROBEFUNC=vfs_read; only if README has 'x8/16/32/64': Symbol access; GOODSYM=_sdata (vfs_read if " +
      '_sdata is absent), BADSYM=deaqswdefr',
    needs: ['memaddr'],
  },
  {
    def: 'p vfs_read @_sdata+10',
    outcome: 'ok',
    source:
      'kprobe_args_syntax.tc (torvalds/linux@2700cf83, delta-one/linux@ffe1311c for s390/mips/loongarch): ' +
      "PROBEFUNC=vfs_read; only if README has 'x8/16/32/64': Symbol access; GOODSYM=_sdata (vfs_read if " +
      '_sdata is absent), BADSYM=deaqswdefr',
    needs: ['memaddr'],
  },
  {
    def: 'p vfs_read @_sdata-10',
    outcome: 'ok',
    source:
      'kprobe_args_syntax.tc (torvalds/linux@2700cf83, delta-one/linux@ffe1311c for s390/mips/loongarch): ' +
      "PROBEFUNC=vfs_read; only if README has 'x8/16/32/64': Symbol access; GOODSYM=_sdata (vfs_read if " +
      '_sdata is absent), BADSYM=deaqswdefr',
    needs: ['memaddr'],
  },
  {
    def: 'p vfs_read @0xffffffff82200000',
    outcome: 'ok',
    source:
      'kprobe_args_syntax.tc (torvalds/linux@2700cf83, delta-one/linux@ffe1311c for s390/mips/loongarch): ' +
      "PROBEFUNC=vfs_read; only if README has 'x8/16/32/64': Symbol access; SYMADDR = 0x<address of _sdata " +
      'from /proc/kallsyms>, the number here is a PLACEHOLDER',
    needs: ['memaddr'],
  },
  {
    def: 'p vfs_read @',
    outcome: 'error',
    source:
      'kprobe_args_syntax.tc (torvalds/linux@2700cf83, delta-one/linux@ffe1311c for s390/mips/loongarch): ' +
      "PROBEFUNC=vfs_read; only if README has 'x8/16/32/64': Symbol access; GOODSYM=_sdata (vfs_read if " +
      '_sdata is absent), BADSYM=deaqswdefr',
    needs: ['memaddr'],
  },
  {
    def: 'p vfs_read @deaqswdefr',
    outcome: 'error',
    source:
      'kprobe_args_syntax.tc (torvalds/linux@2700cf83, delta-one/linux@ffe1311c for s390/mips/loongarch): ' +
      "PROBEFUNC=vfs_read; only if README has 'x8/16/32/64': Symbol access; GOODSYM=_sdata (vfs_read if " +
      '_sdata is absent), BADSYM=deaqswdefr',
    needs: ['memaddr'],
  },
  {
    def: 'p vfs_read @_sdata*10',
    outcome: 'error',
    source:
      'kprobe_args_syntax.tc (torvalds/linux@2700cf83, delta-one/linux@ffe1311c for s390/mips/loongarch): ' +
      "PROBEFUNC=vfs_read; only if README has 'x8/16/32/64': Symbol access; GOODSYM=_sdata (vfs_read if " +
      '_sdata is absent), BADSYM=deaqswdefr',
    needs: ['memaddr'],
  },
  {
    def: 'p vfs_read @_sdata/10',
    outcome: 'error',
    source:
      'kprobe_args_syntax.tc (torvalds/linux@2700cf83, delta-one/linux@ffe1311c for s390/mips/loongarch): ' +
      "PROBEFUNC=vfs_read; only if README has 'x8/16/32/64': Symbol access; GOODSYM=_sdata (vfs_read if " +
      '_sdata is absent), BADSYM=deaqswdefr',
    needs: ['memaddr'],
  },
  {
    def: 'p vfs_read @_sdata%10',
    outcome: 'error',
    source:
      'kprobe_args_syntax.tc (torvalds/linux@2700cf83, delta-one/linux@ffe1311c for s390/mips/loongarch): ' +
      "PROBEFUNC=vfs_read; only if README has 'x8/16/32/64': Symbol access; GOODSYM=_sdata (vfs_read if " +
      '_sdata is absent), BADSYM=deaqswdefr',
    needs: ['memaddr'],
  },
  {
    def: 'p vfs_read @_sdata&10',
    outcome: 'error',
    source:
      'kprobe_args_syntax.tc (torvalds/linux@2700cf83, delta-one/linux@ffe1311c for s390/mips/loongarch): ' +
      "PROBEFUNC=vfs_read; only if README has 'x8/16/32/64': Symbol access; GOODSYM=_sdata (vfs_read if " +
      '_sdata is absent), BADSYM=deaqswdefr',
    needs: ['memaddr'],
  },
  {
    def: 'p vfs_read @_sdata|10',
    outcome: 'error',
    source:
      'kprobe_args_syntax.tc (torvalds/linux@2700cf83, delta-one/linux@ffe1311c for s390/mips/loongarch): ' +
      "PROBEFUNC=vfs_read; only if README has 'x8/16/32/64': Symbol access; GOODSYM=_sdata (vfs_read if " +
      '_sdata is absent), BADSYM=deaqswdefr',
    needs: ['memaddr'],
  },
  {
    def: 'p vfs_read $stack',
    outcome: 'ok',
    source:
      'kprobe_args_syntax.tc (torvalds/linux@2700cf83, delta-one/linux@ffe1311c for s390/mips/loongarch): ' +
      "PROBEFUNC=vfs_read; only if README has 'x8/16/32/64': Stack access",
    needs: ['stack'],
  },
  {
    def: 'p vfs_read $stack0',
    outcome: 'ok',
    source:
      'kprobe_args_syntax.tc (torvalds/linux@2700cf83, delta-one/linux@ffe1311c for s390/mips/loongarch): ' +
      "PROBEFUNC=vfs_read; only if README has 'x8/16/32/64': Stack access",
    needs: ['stack'],
  },
  {
    def: 'p vfs_read $stack1',
    outcome: 'ok',
    source:
      'kprobe_args_syntax.tc (torvalds/linux@2700cf83, delta-one/linux@ffe1311c for s390/mips/loongarch): ' +
      "PROBEFUNC=vfs_read; only if README has 'x8/16/32/64': Stack access",
    needs: ['stack'],
  },
  {
    def: 'p vfs_read $stackp',
    outcome: 'error',
    source:
      'kprobe_args_syntax.tc (torvalds/linux@2700cf83, delta-one/linux@ffe1311c for s390/mips/loongarch): ' +
      "PROBEFUNC=vfs_read; only if README has 'x8/16/32/64': Stack access",
    needs: ['stack'],
  },
  {
    def: 'p vfs_read $stack0+10',
    outcome: 'error',
    source:
      'kprobe_args_syntax.tc (torvalds/linux@2700cf83, delta-one/linux@ffe1311c for s390/mips/loongarch): ' +
      "PROBEFUNC=vfs_read; only if README has 'x8/16/32/64': Stack access",
    needs: ['stack'],
  },
  {
    def: 'p vfs_read $stack1-10',
    outcome: 'error',
    source:
      'kprobe_args_syntax.tc (torvalds/linux@2700cf83, delta-one/linux@ffe1311c for s390/mips/loongarch): ' +
      "PROBEFUNC=vfs_read; only if README has 'x8/16/32/64': Stack access",
    needs: ['stack'],
  },
  {
    def: 'r vfs_read $retval',
    outcome: 'ok',
    source:
      'kprobe_args_syntax.tc (torvalds/linux@2700cf83, delta-one/linux@ffe1311c for s390/mips/loongarch): ' +
      "PROBEFUNC=vfs_read; only if README has 'x8/16/32/64': Retval access",
  },
  {
    def: 'p vfs_read $comm',
    outcome: 'ok',
    source:
      'kprobe_args_syntax.tc (torvalds/linux@2700cf83, delta-one/linux@ffe1311c for s390/mips/loongarch): ' +
      "PROBEFUNC=vfs_read; only if README has 'x8/16/32/64': Comm access (only if README lists $comm)",
    needs: ['comm'],
  },
  {
    def: 'p vfs_read +0(%ax)',
    outcome: 'ok',
    source:
      'kprobe_args_syntax.tc (torvalds/linux@2700cf83, delta-one/linux@ffe1311c for s390/mips/loongarch): ' +
      "PROBEFUNC=vfs_read; only if README has 'x8/16/32/64': arch x86_64|i[3456]86 (GOODREG=%ax): Indirect " +
      'memory access',
    needs: ['deref'],
  },
  {
    def: 'p vfs_read -0(%ax)',
    outcome: 'ok',
    source:
      'kprobe_args_syntax.tc (torvalds/linux@2700cf83, delta-one/linux@ffe1311c for s390/mips/loongarch): ' +
      "PROBEFUNC=vfs_read; only if README has 'x8/16/32/64': arch x86_64|i[3456]86 (GOODREG=%ax): Indirect " +
      'memory access',
    needs: ['deref'],
  },
  {
    def: 'p vfs_read +10($stack)',
    outcome: 'ok',
    source:
      'kprobe_args_syntax.tc (torvalds/linux@2700cf83, delta-one/linux@ffe1311c for s390/mips/loongarch): ' +
      "PROBEFUNC=vfs_read; only if README has 'x8/16/32/64': Indirect memory access",
    needs: ['deref', 'stack'],
  },
  {
    def: 'p vfs_read +0($stack1)',
    outcome: 'ok',
    source:
      'kprobe_args_syntax.tc (torvalds/linux@2700cf83, delta-one/linux@ffe1311c for s390/mips/loongarch): ' +
      "PROBEFUNC=vfs_read; only if README has 'x8/16/32/64': Indirect memory access",
    needs: ['deref', 'stack'],
  },
  {
    def: 'p vfs_read +0(+10(+20($stack)))',
    outcome: 'ok',
    source:
      'kprobe_args_syntax.tc (torvalds/linux@2700cf83, delta-one/linux@ffe1311c for s390/mips/loongarch): ' +
      "PROBEFUNC=vfs_read; only if README has 'x8/16/32/64': Indirect memory access",
    needs: ['deref', 'stack'],
  },
  {
    def: 'p vfs_read +10(@_sdata-10)',
    outcome: 'ok',
    source:
      'kprobe_args_syntax.tc (torvalds/linux@2700cf83, delta-one/linux@ffe1311c for s390/mips/loongarch): ' +
      "PROBEFUNC=vfs_read; only if README has 'x8/16/32/64': Indirect memory access",
    needs: ['deref', 'memaddr'],
  },
  {
    def: 'p vfs_read +(%ax)',
    outcome: 'error',
    source:
      'kprobe_args_syntax.tc (torvalds/linux@2700cf83, delta-one/linux@ffe1311c for s390/mips/loongarch): ' +
      "PROBEFUNC=vfs_read; only if README has 'x8/16/32/64': arch x86_64|i[3456]86 (GOODREG=%ax): Indirect " +
      'memory access',
    needs: ['deref'],
  },
  {
    def: 'p vfs_read (%ax+10)',
    outcome: 'error',
    source:
      'kprobe_args_syntax.tc (torvalds/linux@2700cf83, delta-one/linux@ffe1311c for s390/mips/loongarch): ' +
      "PROBEFUNC=vfs_read; only if README has 'x8/16/32/64': arch x86_64|i[3456]86 (GOODREG=%ax): Indirect " +
      'memory access',
    needs: ['deref'],
  },
  {
    def: 'p vfs_read -(%ax)',
    outcome: 'error',
    source:
      'kprobe_args_syntax.tc (torvalds/linux@2700cf83, delta-one/linux@ffe1311c for s390/mips/loongarch): ' +
      "PROBEFUNC=vfs_read; only if README has 'x8/16/32/64': arch x86_64|i[3456]86 (GOODREG=%ax): Indirect " +
      'memory access',
    needs: ['deref'],
  },
  {
    def: 'p vfs_read (%ax)',
    outcome: 'error',
    source:
      'kprobe_args_syntax.tc (torvalds/linux@2700cf83, delta-one/linux@ffe1311c for s390/mips/loongarch): ' +
      "PROBEFUNC=vfs_read; only if README has 'x8/16/32/64': arch x86_64|i[3456]86 (GOODREG=%ax): Indirect " +
      'memory access',
    needs: ['deref'],
  },
  {
    def: 'p vfs_read +0(%ax)+10',
    outcome: 'error',
    source:
      'kprobe_args_syntax.tc (torvalds/linux@2700cf83, delta-one/linux@ffe1311c for s390/mips/loongarch): ' +
      "PROBEFUNC=vfs_read; only if README has 'x8/16/32/64': arch x86_64|i[3456]86 (GOODREG=%ax): Indirect " +
      'memory access',
    needs: ['deref'],
  },
  {
    def: 'p vfs_read +10($comm)',
    outcome: 'error',
    source:
      'kprobe_args_syntax.tc (torvalds/linux@2700cf83, delta-one/linux@ffe1311c for s390/mips/loongarch): ' +
      "PROBEFUNC=vfs_read; only if README has 'x8/16/32/64': Indirect memory access",
    needs: ['deref', 'comm'],
  },
  {
    def: 'p vfs_read varname=%ax',
    outcome: 'ok',
    source:
      'kprobe_args_syntax.tc (torvalds/linux@2700cf83, delta-one/linux@ffe1311c for s390/mips/loongarch): ' +
      "PROBEFUNC=vfs_read; only if README has 'x8/16/32/64': arch x86_64|i[3456]86 (GOODREG=%ax): Name " +
      'assignment',
  },
  {
    def: 'p vfs_read varname=varname2=%ax',
    outcome: 'error',
    source:
      'kprobe_args_syntax.tc (torvalds/linux@2700cf83, delta-one/linux@ffe1311c for s390/mips/loongarch): ' +
      "PROBEFUNC=vfs_read; only if README has 'x8/16/32/64': arch x86_64|i[3456]86 (GOODREG=%ax): Name " +
      'assignment',
  },
  {
    def: 'p vfs_read %ax:x16',
    outcome: 'ok',
    source:
      'kprobe_args_syntax.tc (torvalds/linux@2700cf83, delta-one/linux@ffe1311c for s390/mips/loongarch): ' +
      "PROBEFUNC=vfs_read; only if README has 'x8/16/32/64': arch x86_64|i[3456]86 (GOODREG=%ax): Type " +
      'syntax (GOODTYPE=x16)',
  },
  {
    def: 'p vfs_read %ax::x16',
    outcome: 'error',
    source:
      'kprobe_args_syntax.tc (torvalds/linux@2700cf83, delta-one/linux@ffe1311c for s390/mips/loongarch): ' +
      "PROBEFUNC=vfs_read; only if README has 'x8/16/32/64': arch x86_64|i[3456]86 (GOODREG=%ax): Type " +
      'syntax (BADTYPE=y16)',
  },
  {
    def: 'p vfs_read %ax:y16',
    outcome: 'error',
    source:
      'kprobe_args_syntax.tc (torvalds/linux@2700cf83, delta-one/linux@ffe1311c for s390/mips/loongarch): ' +
      "PROBEFUNC=vfs_read; only if README has 'x8/16/32/64': arch x86_64|i[3456]86 (GOODREG=%ax): Type " +
      'syntax (BADTYPE=y16)',
  },
  {
    def: 'p vfs_read x16:%ax',
    outcome: 'error',
    source:
      'kprobe_args_syntax.tc (torvalds/linux@2700cf83, delta-one/linux@ffe1311c for s390/mips/loongarch): ' +
      "PROBEFUNC=vfs_read; only if README has 'x8/16/32/64': arch x86_64|i[3456]86 (GOODREG=%ax): Type " +
      'syntax (BADTYPE=y16)',
  },
  {
    def: 'p vfs_read $comm:string',
    outcome: 'ok',
    source:
      'kprobe_args_syntax.tc (torvalds/linux@2700cf83, delta-one/linux@ffe1311c for s390/mips/loongarch): ' +
      "PROBEFUNC=vfs_read; only if README has 'x8/16/32/64': Combination check",
    needs: ['comm', 'string'],
  },
  {
    def: 'p vfs_read +0($stack):string',
    outcome: 'ok',
    source:
      'kprobe_args_syntax.tc (torvalds/linux@2700cf83, delta-one/linux@ffe1311c for s390/mips/loongarch): ' +
      "PROBEFUNC=vfs_read; only if README has 'x8/16/32/64': Combination check",
    needs: ['deref', 'stack', 'string'],
  },
  {
    def: 'p vfs_read $comm:x64',
    outcome: 'error',
    source:
      'kprobe_args_syntax.tc (torvalds/linux@2700cf83, delta-one/linux@ffe1311c for s390/mips/loongarch): ' +
      "PROBEFUNC=vfs_read; only if README has 'x8/16/32/64': Combination check",
    needs: ['comm'],
  },
  {
    def: 'p vfs_read $stack:string',
    outcome: 'error',
    source:
      'kprobe_args_syntax.tc (torvalds/linux@2700cf83, delta-one/linux@ffe1311c for s390/mips/loongarch): ' +
      "PROBEFUNC=vfs_read; only if README has 'x8/16/32/64': Combination check",
    needs: ['stack', 'string'],
  },
  {
    def: 'p vfs_read %ax:string',
    outcome: 'error',
    source:
      'kprobe_args_syntax.tc (torvalds/linux@2700cf83, delta-one/linux@ffe1311c for s390/mips/loongarch): ' +
      "PROBEFUNC=vfs_read; only if README has 'x8/16/32/64': arch x86_64|i[3456]86 (GOODREG=%ax): " +
      'Combination check',
    needs: ['string'],
  },
  {
    def:
      'p:testprobe_u kernel_clone arg1=@linux_proc_banner:u64 arg2=@linux_proc_banner:u32 ' +
      'arg3=@linux_proc_banner:u16 arg4=@linux_proc_banner:u8',
    outcome: 'ok',
    source:
      'kprobe_args_symbol.tc (Kingxukai/linux@9b44fff6, $FUNCTION_FORK expanded to kernel_clone; ' +
      'torvalds/linux@031616c4 has literal kernel_clone): needs linux_proc_banner in kallsyms ' +
      '(CONFIG_KALLSYMS_ALL)',
    needs: ['memaddr'],
  },
  {
    def:
      'p:testprobe_s kernel_clone arg1=@linux_proc_banner:s64 arg2=@linux_proc_banner:s32 ' +
      'arg3=@linux_proc_banner:s16 arg4=@linux_proc_banner:s8',
    outcome: 'ok',
    source:
      'kprobe_args_symbol.tc (Kingxukai/linux@9b44fff6, $FUNCTION_FORK expanded to kernel_clone; ' +
      'torvalds/linux@031616c4 has literal kernel_clone): needs linux_proc_banner in kallsyms ' +
      '(CONFIG_KALLSYMS_ALL)',
    needs: ['memaddr'],
  },
  {
    def:
      'p:testprobe_x kernel_clone arg1=@linux_proc_banner:x64 arg2=@linux_proc_banner:x32 ' +
      'arg3=@linux_proc_banner:x16 arg4=@linux_proc_banner:x8',
    outcome: 'ok',
    source:
      'kprobe_args_symbol.tc (Kingxukai/linux@9b44fff6, $FUNCTION_FORK expanded to kernel_clone; ' +
      'torvalds/linux@031616c4 has literal kernel_clone): needs linux_proc_banner in kallsyms ' +
      "(CONFIG_KALLSYMS_ALL); only if README has 'x8/16/32/64'",
    needs: ['memaddr'],
  },
  {
    def: 'p:testprobe_bf kernel_clone arg1=@linux_proc_banner:b8@4/32',
    outcome: 'ok',
    source:
      'kprobe_args_symbol.tc (Kingxukai/linux@9b44fff6, $FUNCTION_FORK expanded to kernel_clone; ' +
      'torvalds/linux@031616c4 has literal kernel_clone): needs linux_proc_banner in kallsyms ' +
      '(CONFIG_KALLSYMS_ALL)',
    needs: ['memaddr', 'bitfield'],
  },
  {
    def: 'p:testprobe_str kernel_clone arg1=@linux_proc_banner:string',
    outcome: 'ok',
    source:
      'kprobe_args_symbol.tc (Kingxukai/linux@9b44fff6, $FUNCTION_FORK expanded to kernel_clone; ' +
      'torvalds/linux@031616c4 has literal kernel_clone): needs linux_proc_banner in kallsyms ' +
      '(CONFIG_KALLSYMS_ALL)',
    needs: ['memaddr', 'string'],
  },
  {
    def: 'p:testprobe _do_fork comm=$comm ',
    outcome: 'ok',
    source:
      'kprobe_args_comm.tc (torvalds/linux@0b77b970): note the trailing space in the shell text; ' +
      "kprobe_events reads back 'comm=$comm'",
    needs: ['comm'],
  },
  {
    def: 'p:myevent do_sys_open path=+0($arg2):ustring path2=+u0($arg2):string',
    outcome: 'ok',
    source:
      "kprobe_args_user.tc (torvalds/linux@03f0f5ad): only if README has '$arg<N>', 'ustring' and '[u]<offset>'",
    needs: ['user', 'deref', 'string'],
  },
  {
    def: 'p:myevent2 do_sys_openat2 path=+0($arg2):ustring path2=+u0($arg2):string',
    outcome: 'ok',
    source:
      "kprobe_args_user.tc (torvalds/linux@03f0f5ad): only if README has '$arg<N>', 'ustring' and " +
      "'[u]<offset>'; appended with >>",
    needs: ['user', 'deref', 'string'],
  },
  {
    def: 'p:myevent vfs_symlink path=+0($arg3):ustring path2=+u0($arg3):string',
    outcome: 'ok',
    source:
      "kprobe_args_user.tc (torvalds/linux@03f0f5ad): only if README has '$arg<N>', 'ustring' and " +
      "'[u]<offset>'; accepted, but records (fault) on kernel memory",
    needs: ['user', 'deref', 'string'],
  },
  {
    def: 'p:testprobe kernel_clone $stack $stack0 +0($stack)',
    outcome: 'ok',
    source:
      "kprobe_args.tc (torvalds/linux@031616c4): kprobe_events reads back 'arg1=$stack arg2=$stack0 arg3=+0($stack)'",
    needs: ['stack', 'deref'],
  },
  {
    def: '-:testprobe',
    outcome: 'ok',
    source: 'kprobe_args.tc (torvalds/linux@031616c4): removal',
    needs: ['remove'],
    setup: ['p:testprobe kernel_clone $stack $stack0 +0($stack)'],
  },
  {
    def: 'r:testprobe2 do_fork $retval',
    outcome: 'ok',
    source: 'kretprobe_args.tc (torvalds/linux@1b62f19c; later copies use _do_fork, then $FUNCTION_FORK)',
  },
  {
    def: '-:testprobe2',
    outcome: 'ok',
    source: 'kretprobe_args.tc (torvalds/linux@1b62f19c): removal',
    needs: ['remove'],
    setup: ['r:testprobe2 do_fork $retval'],
  },
  {
    def: 'p:myevent1 vfs_open arg=$arg1',
    outcome: 'ok',
    source:
      "kretprobe_entry_arg.tc (torvalds/linux@a23e1966): only if README has 'kernel return probes support:'",
  },
  {
    def: 'r:myevent2 vfs_open arg=$arg1',
    outcome: 'ok',
    source:
      'kretprobe_entry_arg.tc (torvalds/linux@a23e1966): $argN on a kretprobe (function entry arguments at ' +
      "return), only if README has 'kernel return probes support:'",
  },
  {
    def: 'p:myevent kernel_clone',
    outcome: 'ok',
    source:
      'add_and_remove.tc (torvalds/linux@031616c4); same definition in busy_check.tc and profile.tc ($FUNCTION_FORK)',
  },
  {
    def: 'p:testprobe _do_fork',
    outcome: 'ok',
    source: 'kprobe_ftrace.tc (torvalds/linux@2cc2c3cb): probe on an ftrace-filtered function',
  },
  {
    def: 'p vfs_read',
    outcome: 'ok',
    source:
      'kprobe_eventname.tc (torvalds/linux@30c09233): FUNC = last " [tT] .*vfs_read$" symbol in ' +
      '/proc/kallsyms: auto-named event kprobes/p_vfs_read_0',
    needs: ['eventname'],
  },
  {
    def: 'p:event1 vfs_read',
    outcome: 'ok',
    source:
      'kprobe_eventname.tc (torvalds/linux@30c09233): FUNC = last " [tT] .*vfs_read$" symbol in ' +
      '/proc/kallsyms: named event',
    needs: ['eventname'],
  },
  {
    def: 'p:kprobes2/event2 vfs_read',
    outcome: 'ok',
    source:
      'kprobe_eventname.tc (torvalds/linux@30c09233): FUNC = last " [tT] .*vfs_read$" symbol in ' +
      '/proc/kallsyms: named event and group',
    needs: ['eventname'],
  },
  {
    def: 'p vfs_read.isra.0',
    outcome: 'ok',
    source:
      'kprobe_eventname.tc (torvalds/linux@30c09233): FUNC = last " [tT] .*vfs_read$" symbol in ' +
      '/proc/kallsyms: "dot function" = some .isra. symbol from kallsyms (name here is a PLACEHOLDER); ' +
      "auto name has '.' turned into '_'",
    needs: ['eventname'],
  },
  {
    def: 'p:event0 trace_printk_irq_work',
    outcome: 'ok',
    source:
      'kprobe_module.tc (Kingxukai/linux@9b44fff6, torvalds/linux@1a416ae4): sample module trace-printk, ' +
      'MOD=trace_printk FUNC=trace_printk_irq_work: module function without module name (torvalds@1a416ae4 ' +
      'only)',
    needs: ['module'],
  },
  {
    def: '-:kprobes/event0',
    outcome: 'ok',
    source:
      'kprobe_module.tc (Kingxukai/linux@9b44fff6, torvalds/linux@1a416ae4): sample module trace-printk, ' +
      'MOD=trace_printk FUNC=trace_printk_irq_work: removal with group (torvalds@1a416ae4 only)',
    needs: ['remove'],
    setup: ['p:event0 trace_printk_irq_work'],
  },
  {
    def: 'p trace_printk:trace_printk_irq_work',
    outcome: 'ok',
    source:
      'kprobe_module.tc (Kingxukai/linux@9b44fff6, torvalds/linux@1a416ae4): sample module trace-printk, ' +
      'MOD=trace_printk FUNC=trace_printk_irq_work: MOD:SYM without event name, auto name ' +
      'p_trace_printk_trace_printk_irq_work_0',
    needs: ['module', 'eventname'],
  },
  {
    def: 'p:event1 trace_printk:trace_printk_irq_work',
    outcome: 'ok',
    source:
      'kprobe_module.tc (Kingxukai/linux@9b44fff6, torvalds/linux@1a416ae4): sample module trace-printk, ' +
      'MOD=trace_printk FUNC=trace_printk_irq_work',
    needs: ['module'],
  },
  {
    def: 'p:kprobes1/event1 trace_printk:trace_printk_irq_work',
    outcome: 'ok',
    source:
      'kprobe_module.tc (Kingxukai/linux@9b44fff6, torvalds/linux@1a416ae4): sample module trace-printk, ' +
      'MOD=trace_printk FUNC=trace_printk_irq_work',
    needs: ['module'],
  },
  {
    def: 'p:event2 trace_printk:trace_printk_irq_work',
    outcome: 'ok',
    source:
      'kprobe_module.tc (Kingxukai/linux@9b44fff6, torvalds/linux@1a416ae4): sample module trace-printk, ' +
      'MOD=trace_printk FUNC=trace_printk_irq_work: accepted even after the module is unloaded (pending ' +
      'probe)',
    needs: ['module'],
  },
  {
    def: '-:kprobes1/event1',
    outcome: 'ok',
    source:
      'kprobe_module.tc (Kingxukai/linux@9b44fff6, torvalds/linux@1a416ae4): sample module trace-printk, ' +
      'MOD=trace_printk FUNC=trace_printk_irq_work: removal',
    needs: ['remove'],
    setup: ['p:kprobes1/event1 trace_printk:trace_printk_irq_work'],
  },
  {
    def: 'p:kprobes/testevent kernel_clone',
    outcome: 'ok',
    source:
      'kprobe_multiprobe.tc (Kingxukai/linux@9b44fff6): SYM1=$FUNCTION_FORK (expanded to kernel_clone), ' +
      "SYM2=do_exit; only if README has 'Create/append/': DEF1",
  },
  {
    def: 'p:kprobes/testevent do_exit',
    outcome: 'ok',
    source:
      'kprobe_multiprobe.tc (Kingxukai/linux@9b44fff6): SYM1=$FUNCTION_FORK (expanded to kernel_clone), ' +
      "SYM2=do_exit; only if README has 'Create/append/': DEF2 appended to the same event (multiprobe)",
    setup: ['p:kprobes/testevent kernel_clone'],
  },
  {
    def: '-:kprobes/testevent',
    outcome: 'ok',
    source:
      'kprobe_multiprobe.tc (Kingxukai/linux@9b44fff6): SYM1=$FUNCTION_FORK (expanded to kernel_clone), ' +
      "SYM2=do_exit; only if README has 'Create/append/': removes both probes of the event",
    needs: ['remove'],
    setup: ['p:kprobes/testevent kernel_clone', 'p:kprobes/testevent do_exit'],
  },
  {
    def: '-:kprobes/testevent kernel_clone',
    outcome: 'ok',
    source:
      'kprobe_multiprobe.tc (Kingxukai/linux@9b44fff6): SYM1=$FUNCTION_FORK (expanded to kernel_clone), ' +
      "SYM2=do_exit; only if README has 'Create/append/': removes only the probe matching the given " +
      'definition',
    needs: ['remove'],
    setup: ['p:kprobes/testevent kernel_clone', 'p:kprobes/testevent do_exit'],
  },
  {
    def: 'p:kprobes/testevent kernel_clone $stack',
    outcome: 'error',
    source:
      'kprobe_multiprobe.tc (Kingxukai/linux@9b44fff6): SYM1=$FUNCTION_FORK (expanded to kernel_clone), ' +
      'SYM2=do_exit; only if README has \'Create/append/\': "Appending different type must fail" (existing ' +
      'event has no arguments)',
    needs: ['stack'],
    setup: ['p:kprobes/testevent do_exit'],
  },
  {
    def: 'p:test_non_unique name_show',
    outcome: 'error',
    source:
      'kprobe_non_uniq_symbol.tc (torvalds/linux@ba3bdbe0): name_show has several local text symbols; the ' +
      'ERRORS list names this NON_UNIQ_SYMBOL but the test only checks that the write fails',
  },
];

/** Expectations that held only in older kernels (the same definition may be accepted now). */
export const KPROBE_EVENT_CASES_HISTORICAL: EventCase[] = [
  {
    def: 'p:foo/ vfs_read',
    outcome: 'error',
    column: 6,
    kernelError: 'NO_EVENT_NAME',
    source:
      'kprobe_syntax_errors.tc (torvalds/linux@6870112c, mhiramat/linux@b5561de6 column 7 1-based): ' +
      "kernels before July 2022; now accepted (see 'p:foo/ vfs_read' in KPROBE_EVENT_CASES)",
    needs: ['eventname'],
  },
  {
    def: 'p vfs_read+8 $arg*',
    outcome: 'error',
    column: 13,
    kernelError: 'NOFENTRY_ARGS',
    source:
      "kprobe_syntax_errors.tc (kernel-patches/bpf era, Kingxukai shows later +20): replaced by 'p " +
      "vfs_read+20 $arg*' because vfs_read+8 is still the function entry on powerpc",
    needs: ['btf'],
  },
  {
    def: 'r vfs_read $arg*',
    outcome: 'error',
    column: 11,
    kernelError: 'NOFENTRY_ARGS',
    source:
      "kprobe_syntax_errors.tc (linux-fsdevel/vfs@f1acde9c): only checked when README lacks 'kernel return " +
      "probes support:'; kernels with entry-argument access at kretprobe accept it",
    needs: ['btf'],
  },
  {
    def: 'p100 vfs_read',
    outcome: 'error',
    column: 1,
    kernelError: 'MAXACT_NO_KPROBE',
    source:
      'kprobe_syntax_errors.tc (torvalds/linux@6870112c): same definition as the current BAD_MAXACT_TYPE ' +
      'case, older error name ("Maxactive is not for kprobe")',
  },
];

/** check_error lines from a typecast patch series seen in intel-lab-lkp/linux, not in the mainline copies read. */
export const KPROBE_EVENT_CASES_UNMERGED: EventCase[] = [
  {
    def: 'p vfs_read arg1=(task_struct)file',
    outcome: 'error',
    column: 33,
    kernelError: 'TYPECAST_REQ_FIELD',
    source:
      'kprobe_syntax_errors.tc (intel-lab-lkp/linux@6a53f810, typecast patch series, not in the mainline ' +
      "copies read): only if README has '[(structname'",
    needs: ['btf'],
  },
  {
    def: 'p vfs_read arg1=(a)((b)((c)((d)file->d)->c)->b)->a',
    outcome: 'error',
    column: 28,
    kernelError: 'TOO_MANY_NESTED',
    source:
      'kprobe_syntax_errors.tc (intel-lab-lkp/linux@6a53f810, typecast patch series, not in the mainline ' +
      "copies read): only if README has '[(structname'",
    needs: ['btf'],
  },
  {
    def: 'p vfs_read arg1=(task_struct,in_execve)file->comm',
    outcome: 'error',
    column: 29,
    kernelError: 'TYPECAST_NOT_ALIGNED',
    source:
      'kprobe_syntax_errors.tc (intel-lab-lkp/linux@6a53f810, typecast patch series, not in the mainline ' +
      "copies read): only if README has '[(structname'",
    needs: ['btf'],
  },
  {
    def: 'p vfs_read arg1=(task_struct,foo_bar)file->pid',
    outcome: 'error',
    column: 29,
    kernelError: 'NO_BTF_FIELD',
    source:
      'kprobe_syntax_errors.tc (intel-lab-lkp/linux@6a53f810, typecast patch series, not in the mainline ' +
      "copies read): only if README has '[(structname'",
    needs: ['btf'],
  },
  {
    def: 'p vfs_read arg1=(task_struct1234)file->pid',
    outcome: 'error',
    column: 17,
    kernelError: 'NO_PTR_STRCT',
    source:
      'kprobe_syntax_errors.tc (intel-lab-lkp/linux@6a53f810, typecast patch series, not in the mainline ' +
      "copies read): only if README has '[(structname'",
    needs: ['btf'],
  },
  {
    def: 'p vfs_read arg1=(task_struct,se->group_node)file->comm',
    outcome: 'error',
    column: 31,
    kernelError: 'TYPECAST_BAD_ARROW',
    source:
      'kprobe_syntax_errors.tc (intel-lab-lkp/linux@6a53f810, typecast patch series, not in the mainline ' +
      "copies read): only if README has '[(structname'",
    needs: ['btf'],
  },
  {
    def: 'p vfs_read arg1=(task_struct,->pid)file->comm',
    outcome: 'error',
    column: 29,
    kernelError: 'NO_BTF_FIELD',
    source:
      'kprobe_syntax_errors.tc (intel-lab-lkp/linux@6a53f810, typecast patch series, not in the mainline ' +
      "copies read): only if README has '[(structname'",
    needs: ['btf'],
  },
  {
    def: 'p vfs_read arg1=(task_struct,.pid)file->comm',
    outcome: 'error',
    column: 29,
    kernelError: 'NO_BTF_FIELD',
    source:
      'kprobe_syntax_errors.tc (intel-lab-lkp/linux@6a53f810, typecast patch series, not in the mainline ' +
      "copies read): only if README has '[(structname'",
    needs: ['btf'],
  },
  {
    def: 'p vfs_read arg1=(task_struct,.)file->comm',
    outcome: 'error',
    column: 29,
    kernelError: 'NO_BTF_FIELD',
    source:
      'kprobe_syntax_errors.tc (intel-lab-lkp/linux@6a53f810, typecast patch series, not in the mainline ' +
      "copies read): only if README has '[(structname'",
    needs: ['btf'],
  },
];

/**
 * kernel/trace/trace_probe.h ERRORS (gregkh/linux@0d60e99f2d3e), in order: the code name and the text
 * error_log shows. "valiable" is the kernel's own spelling.
 */
export const KPROBE_ERROR_MESSAGES: Readonly<Record<string, string>> = {
  FILE_NOT_FOUND: 'Failed to find the given file',
  NO_REGULAR_FILE: 'Not a regular file',
  BAD_REFCNT: 'Invalid reference counter offset',
  REFCNT_OPEN_BRACE: 'Reference counter brace is not closed',
  BAD_REFCNT_SUFFIX: 'Reference counter has wrong suffix',
  BAD_UPROBE_OFFS: 'Invalid uprobe offset',
  BAD_MAXACT_TYPE: 'Maxactive is only for function exit',
  BAD_MAXACT: 'Invalid maxactive number',
  MAXACT_TOO_BIG: 'Maxactive is too big',
  BAD_PROBE_ADDR: 'Invalid probed address or symbol',
  NON_UNIQ_SYMBOL: 'The symbol is not unique',
  BAD_RETPROBE: 'Retprobe address must be an function entry',
  NO_TRACEPOINT: 'Tracepoint is not found',
  BAD_TP_NAME: 'Invalid character in tracepoint name',
  BAD_ADDR_SUFFIX: 'Invalid probed address suffix',
  NO_GROUP_NAME: 'Group name is not specified',
  GROUP_TOO_LONG: 'Group name is too long',
  BAD_GROUP_NAME: 'Group name must follow the same rules as C identifiers',
  NO_EVENT_NAME: 'Event name is not specified',
  EVENT_TOO_LONG: 'Event name is too long',
  BAD_EVENT_NAME: 'Event name must follow the same rules as C identifiers',
  EVENT_EXIST: 'Given group/event name is already used by another event',
  RETVAL_ON_PROBE: '$retval is not available on probe',
  NO_RETVAL: "This function returns 'void' type",
  BAD_STACK_NUM: 'Invalid stack number',
  BAD_ARG_NUM: 'Invalid argument number',
  BAD_VAR: 'Invalid $-valiable specified',
  BAD_REG_NAME: 'Invalid register name',
  BAD_MEM_ADDR: 'Invalid memory address',
  BAD_IMM: 'Invalid immediate value',
  IMMSTR_NO_CLOSE: "String is not closed with '\"'",
  FILE_ON_KPROBE: 'File offset is not available with kprobe',
  BAD_FILE_OFFS: 'Invalid file offset value',
  SYM_ON_UPROBE: 'Symbol is not available with uprobe',
  TOO_MANY_OPS: 'Dereference is too much nested',
  DEREF_NEED_BRACE: 'Dereference needs a brace',
  BAD_DEREF_OFFS: 'Invalid dereference offset',
  DEREF_OPEN_BRACE: 'Dereference brace is not closed',
  COMM_CANT_DEREF: '$comm can not be dereferenced',
  BAD_FETCH_ARG: 'Invalid fetch argument',
  ARRAY_NO_CLOSE: 'Array is not closed',
  BAD_ARRAY_SUFFIX: 'Array has wrong suffix',
  BAD_ARRAY_NUM: 'Invalid array size',
  ARRAY_TOO_BIG: 'Array number is too big',
  BAD_TYPE: 'Unknown type is specified',
  BAD_STRING: 'String accepts only memory argument',
  BAD_SYMSTRING: "Symbol String doesn't accept data/userdata",
  BAD_BITFIELD: 'Invalid bitfield',
  ARG_NAME_TOO_LONG: 'Argument name is too long',
  NO_ARG_NAME: 'Argument name is not specified',
  BAD_ARG_NAME: 'Argument name must follow the same rules as C identifiers',
  USED_ARG_NAME: 'This argument name is already used',
  ARG_TOO_LONG: 'Argument expression is too long',
  NO_ARG_BODY: 'No argument expression',
  BAD_INSN_BNDRY: 'Probe point is not an instruction boundary',
  FAIL_REG_PROBE: 'Failed to register probe event',
  DIFF_PROBE_TYPE: 'Probe type is different from existing probe',
  DIFF_ARG_TYPE: 'Argument type or name is different from existing probe',
  SAME_PROBE: 'There is already the exact same probe event',
  NO_EVENT_INFO: 'This requires both group and event name to attach',
  BAD_ATTACH_EVENT: 'Attached event does not exist',
  BAD_ATTACH_ARG: 'Attached event does not have this field',
  NO_EP_FILTER: "No filter rule after 'if'",
  NOSUP_BTFARG: 'BTF is not available or not supported',
  NO_BTFARG: 'This variable is not found at this probe point',
  NO_BTF_ENTRY: 'No BTF entry for this probe point',
  BAD_VAR_ARGS: '$arg* must be an independent parameter without name etc.',
  NOFENTRY_ARGS: '$arg* can be used only on function entry or exit',
  DOUBLE_ARGS: '$arg* can be used only once in the parameters',
  ARGS_2LONG: '$arg* failed because the argument list is too long',
  ARGIDX_2BIG: '$argN index is too big',
  NO_PTR_STRCT: 'This is not a pointer to union/structure.',
  NOSUP_DAT_ARG: 'Non pointer structure/union argument is not supported.',
  BAD_HYPHEN: "Failed to parse single hyphen. Forgot '>'?",
  NO_BTF_FIELD: 'This field is not found.',
  BAD_BTF_TID: 'Failed to get BTF type info.',
  BAD_TYPE4STR: 'This type does not fit for string.',
  NEED_STRING_TYPE: '$comm and immediate-string only accepts string type',
  TOO_MANY_ARGS: 'Too many arguments are specified',
  TOO_MANY_EARGS: 'Too many entry arguments specified',
  EVENT_TOO_BIG: 'Event too big (too many fields?)',
};

/** Error codes not in the list above: older names and linux-next additions. */
export const KPROBE_ERROR_MESSAGES_OTHER: Readonly<Record<string, { message: string; note: string }>> = {
  MAXACT_NO_KPROBE: {
    message: 'Maxactive is not for kprobe',
    note: 'older name of BAD_MAXACT_TYPE (torvalds/linux trace_probe.h@007517a0)',
  },
  BAD_ACCESS_FMT: {
    message: 'Access memory address requires @',
    note: 'linux-next only (ColinIanKing/linux-next@c741b641), wprobe',
  },
  BAD_ACCESS_TYPE: { message: 'Bad memory access type', note: 'linux-next only, wprobe' },
  BAD_ACCESS_LEN: { message: 'This memory access length is not supported', note: 'linux-next only, wprobe' },
  BAD_ACCESS_ADDR: { message: 'Invalid access memory address', note: 'linux-next only, wprobe' },
};

/**
 * kprobetrace.rst "Kernel Boot Parameter": the kprobe_event= boot parameter takes the same
 * definition with commas instead of spaces (not a kprobe_events line).
 */
export const KPROBE_BOOT_PARAM_EXAMPLES: ReadonlyArray<{ param: string; def: string; source: string }> = [
  {
    param: 'p:myprobe,do_sys_open,dfd=%ax,filename=%dx,flags=%cx,mode=+4($stack)',
    def: 'p:myprobe do_sys_open dfd=%ax filename=%dx flags=%cx mode=+4($stack)',
    source: 'kprobetrace.rst: Kernel Boot Parameter section',
  },
];
