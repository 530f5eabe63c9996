// Counterpart: arch/powerpc/kernel/syscalls/syscall.tbl (64-bit entries this project
// answers or names in its reports).

export const PPC64_SYSCALLS = new Map<number, string>([
  [1, 'exit'], [2, 'fork'], [3, 'read'], [4, 'write'], [5, 'open'], [6, 'close'], [8, 'creat'], [9, 'link'],
  [10, 'unlink'], [11, 'execve'], [12, 'chdir'], [15, 'chmod'], [20, 'getpid'], [21, 'mount'], [24, 'getuid'],
  [26, 'ptrace'], [33, 'access'], [37, 'kill'], [38, 'rename'], [39, 'mkdir'], [40, 'rmdir'], [41, 'dup'],
  [42, 'pipe'], [45, 'brk'], [47, 'getgid'], [49, 'geteuid'], [50, 'getegid'], [54, 'ioctl'], [64, 'getppid'],
  [78, 'gettimeofday'], [83, 'symlink'], [85, 'readlink'], [90, 'mmap'], [91, 'munmap'], [92, 'truncate'],
  [102, 'socketcall'], [120, 'clone'], [122, 'uname'], [125, 'mprotect'], [126, 'sigprocmask'], [146, 'writev'], [158, 'sched_yield'],
  [162, 'nanosleep'], [173, 'rt_sigaction'], [174, 'rt_sigprocmask'], [181, 'chown'], [185, 'sigaltstack'], [189, 'vfork'],
  [207, 'gettid'], [208, 'tkill'], [221, 'futex'], [232, 'set_tid_address'], [234, 'exit_group'],
  [246, 'clock_gettime'], [250, 'tgkill'], [286, 'openat'], [287, 'mkdirat'], [292, 'unlinkat'], [293, 'renameat'], [300, 'set_robust_list'],
  [325, 'prlimit64'], [326, 'socket'], [327, 'bind'], [328, 'connect'],
  [351, 'process_vm_readv'], [352, 'process_vm_writev'], [359, 'getrandom'], [362, 'execveat'],
  [387, 'rseq'], [437, 'openat2'],
]);
