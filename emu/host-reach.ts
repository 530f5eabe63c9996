// Counterpart: what a sandboxing user-mode emulator answers for the host's files, processes
// and sockets: nothing of them is reached, and every such call gets one errno (EACCES).
import { addrOf } from './addr.js';
import type { LinuxProcess } from './process.js';
import { EACCES, neg } from './errno.js';

/**
 * Calls that would reach the host (a path, a new process, a socket): refused with EACCES
 * and reported once. fstatat and statx of an fd (AT_EMPTY_PATH) and readlink of
 * /proc/self/exe are answered; their other paths are refused the same way.
 */
export const HOST_CALLS = new Set([
  'access',
  'faccessat',
  'faccessat2',
  'stat',
  'lstat',
  'stat64',
  'lstat64',
  'oldstat',
  'oldlstat',
  'statfs',
  'statfs64',
  'utime',
  'utimes',
  'utimensat',
  'futimesat',
  'mknod',
  'mknodat',
  'chroot',
  'fchmodat',
  'fchownat',
  'lchown',
  'lchown32',
  'chown32',
  'linkat',
  'symlinkat',
  'readlink',
  'renameat2',
  'inotify_add_watch',
  'name_to_handle_at',
  'open_by_handle_at',
  'open_tree',
  'fsopen',
  'socketpair',
  'acct',
  'swapon',
  'swapoff',
  'pivot_root',
  'umount2',
  'open',
  'openat',
  'openat2',
  'creat',
  'unlink',
  'unlinkat',
  'rename',
  'renameat',
  'mkdir',
  'mkdirat',
  'rmdir',
  'execve',
  'execveat',
  'fork',
  'vfork',
  'socket',
  'socketcall',
  'connect',
  'bind',
  'ptrace',
  'chdir',
  'chmod',
  'chown',
  'truncate',
  'link',
  'symlink',
  'mount',
  'process_vm_writev',
  'process_vm_readv',
]);

/**
 * Files C libraries look for by themselves and do without (the zone file: UTC; the CPU lists:
 * sched_getaffinity; the locale archive: the C locale): refused as every host path is, with
 * no report, so a plain program's stderr holds only its own output.
 */
export const QUIET_PATHS = new Set([
  '/etc/localtime',
  '/sys/devices/system/cpu/online',
  '/sys/devices/system/cpu/possible',
  '/proc/stat',
  '/proc/cpuinfo',
  '/usr/lib/locale/locale-archive',
]);

/** Which argument of a path call is the path. */
const PATH_ARG: Record<string, number> = {
  open: 0,
  creat: 0,
  stat: 0,
  lstat: 0,
  stat64: 0,
  lstat64: 0,
  access: 0,
  openat: 1,
  openat2: 1,
  faccessat: 1,
  faccessat2: 1,
  newfstatat: 1,
  fstatat64: 1,
  statx: 1,
};

/** A call that would reach the host: EACCES, reported once unless the path is in QUIET_PATHS. */
export function refuseHostCall(p: LinuxProcess, name: string, args: readonly bigint[]): bigint {
  const i = PATH_ARG[name];
  const path = i === undefined ? undefined : p.mem.readCString(addrOf(args[i] ?? 0n));
  if (path === undefined || !QUIET_PATHS.has(path))
    p.reportOnce(`sys-${name}`, `system call ${name} would reach the host: refused with -EACCES`);
  return neg(EACCES);
}
