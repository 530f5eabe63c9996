// Counterpart: arch/x86/entry/syscalls/syscall_64.tbl and syscall_32.tbl (the calls this
// project answers or names in its reports).

export const X86_64_SYSCALLS = new Map<number, string>([
  [0, 'read'], [1, 'write'], [2, 'open'], [3, 'close'], [4, 'stat'], [5, 'fstat'], [6, 'lstat'], [8, 'lseek'],
  [9, 'mmap'], [10, 'mprotect'], [11, 'munmap'], [12, 'brk'], [13, 'rt_sigaction'], [14, 'rt_sigprocmask'],
  [16, 'ioctl'], [20, 'writev'], [21, 'access'], [22, 'pipe'], [24, 'sched_yield'], [32, 'dup'], [35, 'nanosleep'],
  [39, 'getpid'], [41, 'socket'], [42, 'connect'], [49, 'bind'], [56, 'clone'], [57, 'fork'], [58, 'vfork'],
  [59, 'execve'], [60, 'exit'], [62, 'kill'], [63, 'uname'], [72, 'fcntl'], [76, 'truncate'], [80, 'chdir'],
  [82, 'rename'], [83, 'mkdir'], [84, 'rmdir'], [85, 'creat'], [86, 'link'], [87, 'unlink'], [88, 'symlink'],
  [89, 'readlink'], [90, 'chmod'], [92, 'chown'], [96, 'gettimeofday'], [101, 'ptrace'], [102, 'getuid'],
  [104, 'getgid'], [107, 'geteuid'], [108, 'getegid'], [110, 'getppid'], [131, 'sigaltstack'], [158, 'arch_prctl'],
  [165, 'mount'], [186, 'gettid'], [200, 'tkill'], [202, 'futex'], [218, 'set_tid_address'], [228, 'clock_gettime'],
  [231, 'exit_group'], [234, 'tgkill'], [257, 'openat'], [258, 'mkdirat'], [263, 'unlinkat'], [264, 'renameat'], [273, 'set_robust_list'],
  [302, 'prlimit64'], [310, 'process_vm_readv'], [311, 'process_vm_writev'], [318, 'getrandom'], [322, 'execveat'],
  [334, 'rseq'], [437, 'openat2'],
]);

export const I386_SYSCALLS = new Map<number, string>([
  [1, 'exit'], [2, 'fork'], [3, 'read'], [4, 'write'], [5, 'open'], [6, 'close'], [8, 'creat'], [9, 'link'],
  [10, 'unlink'], [11, 'execve'], [12, 'chdir'], [15, 'chmod'], [20, 'getpid'], [21, 'mount'], [26, 'ptrace'],
  [33, 'access'], [37, 'kill'], [38, 'rename'], [39, 'mkdir'], [40, 'rmdir'], [41, 'dup'], [42, 'pipe'],
  [45, 'brk'], [54, 'ioctl'], [64, 'getppid'], [78, 'gettimeofday'], [83, 'symlink'], [85, 'readlink'],
  [90, 'mmap'], [91, 'munmap'], [92, 'truncate'], [102, 'socketcall'], [120, 'clone'], [122, 'uname'],
  [125, 'mprotect'], [126, 'sigprocmask'], [146, 'writev'], [158, 'sched_yield'], [162, 'nanosleep'],
  [174, 'rt_sigaction'], [175, 'rt_sigprocmask'], [182, 'chown'], [186, 'sigaltstack'], [190, 'vfork'], [192, 'mmap2'],
  [199, 'getuid32'], [200, 'getgid32'], [201, 'geteuid32'], [202, 'getegid32'], [224, 'gettid'], [238, 'tkill'],
  [240, 'futex'], [243, 'set_thread_area'], [252, 'exit_group'], [258, 'set_tid_address'], [265, 'clock_gettime'],
  [270, 'tgkill'], [295, 'openat'], [296, 'mkdirat'], [301, 'unlinkat'], [302, 'renameat'], [311, 'set_robust_list'], [340, 'prlimit64'],
  [347, 'process_vm_readv'], [348, 'process_vm_writev'], [355, 'getrandom'], [358, 'execveat'], [359, 'socket'],
  [361, 'bind'], [362, 'connect'], [386, 'rseq'], [403, 'clock_gettime64'], [437, 'openat2'],
]);
