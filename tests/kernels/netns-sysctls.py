#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# Which net.* sysctls seen inside a fresh network namespace are that namespace's own, and which
# are the machine's: evidence for tcpfault's check (netns_sysctl_set refuses a key whose /proc/sys
# file is the same inode in two namespaces). For every file under /proc/sys/net seen in a fresh
# namespace A it prints: the mode, whether namespace B (another fresh one) sees the same inode while
# A holds it open, and the owner seen from a namespace made inside a user namespace whose root
# is uid 100000 (a per-namespace file is owned by that root, a machine-wide one is not).
#   netns-sysctls.py OUT      (writes OUT/netns-sysctls.txt)
# Inside a matrix guest (matrix.sh -x, told by the kernel command line) it also finds the truth by
# writing: each writable integer file is changed in A and the initial namespace's value read back
# (then restored). Anywhere else it only reads.
import ctypes, os, stat, sys

CLONE_NEWNET, CLONE_NEWUSER = 0x40000000, 0x10000000
libc = ctypes.CDLL(None, use_errno=True)


def unshare(flags):
    if libc.unshare(flags) != 0:
        raise OSError(ctypes.get_errno(), "unshare")


def setns(fd):
    if libc.setns(fd, CLONE_NEWNET) != 0:
        raise OSError(ctypes.get_errno(), "setns")


def files():
    out = []
    for d, _, names in os.walk("/proc/sys/net"):
        out += [os.path.join(d, n) for n in names]
    return sorted(out)


def fresh_ns(init):
    unshare(CLONE_NEWNET)
    fd = os.open("/proc/self/ns/net", os.O_RDONLY)
    setns(init)
    return fd


def owners():
    """uid of each file seen from a netns made in a user namespace whose root is uid 100000."""
    r, w = os.pipe()
    go_r, go_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        os.close(go_w)
        unshare(CLONE_NEWUSER)
        os.write(w, b"u")
        os.read(go_r, 1)
        unshare(CLONE_NEWNET)
        lines = []
        for f in files():
            try:
                lines.append("%s %d" % (f, os.stat(f).st_uid))
            except OSError:
                pass
        os.write(w, ("\n".join(lines) + "\n").encode())
        os._exit(0)
    os.close(w)
    os.close(go_r)
    os.read(r, 1)
    for m in ("uid_map", "gid_map"):
        if m == "gid_map":
            with open("/proc/%d/setgroups" % pid, "w") as f:
                f.write("deny")
        with open("/proc/%d/%s" % (pid, m), "w") as f:
            f.write("0 100000 1\n")
    os.write(go_w, b"g")
    data = b""
    while True:
        b = os.read(r, 65536)
        if not b:
            break
        data += b
    os.waitpid(pid, 0)
    return dict(l.rsplit(" ", 1) for l in data.decode().splitlines() if l)


def read(path):
    with open(path) as f:
        return f.read().strip()


def write(path, v):
    with open(path, "w") as f:
        f.write(v)


def main():
    truth = any(a.startswith("tcpfault.exec=") for a in read("/proc/cmdline").split())
    out = sys.argv[1]
    init = os.open("/proc/self/ns/net", os.O_RDONLY)
    a, b = fresh_ns(init), fresh_ns(init)
    own = owners()
    rows = []
    setns(a)
    for f in files():
        st = os.stat(f)
        try:
            fd = os.open(f, os.O_RDONLY)
        except OSError:
            fd = -1
        setns(b)
        try:
            same = "same-inode" if os.stat(f).st_ino == st.st_ino else "own-inode"
        except OSError:
            same = "absent-in-B"
        setns(a)
        if fd >= 0:
            os.close(fd)
        rows.append([f, "%o" % stat.S_IMODE(st.st_mode), same, "owner=" + own.get(f, "?")])
    if truth:
        for row in rows:
            f = row[0]
            if not int(row[1], 8) & 0o200:
                row.append("truth=read-only")
                continue
            try:
                setns(init)
                v0 = read(f)
                setns(a)
                va = read(f)
                n = int(va)
            except (OSError, ValueError):
                row.append("truth=?")
                continue
            v1 = str(n - 1 if n > 1 else n + 1)
            try:
                write(f, v1)
            except OSError as e:
                setns(init)
                if read(f) != v0:
                    row.append("truth=MACHINE-WIDE(failed-write-changed-it)")
                setns(a)
                row.append("truth=write-fails:" + os.strerror(e.errno))
                continue
            took = read(f) == v1
            setns(init)
            now = read(f)
            if now != v0:
                row.append("truth=MACHINE-WIDE(%s->%s)" % (v0, now))
                try:
                    write(f, v0)
                except OSError as e:
                    row.append("restore-failed:" + os.strerror(e.errno))
            elif took:
                row.append("truth=per-netns")
            else:
                row.append("truth=write-ignored")
            setns(a)
    setns(init)
    with open(os.path.join(out, "netns-sysctls.txt"), "w") as f:
        f.write("# %s\n" % os.uname().release)
        for row in rows:
            f.write(" ".join(row) + "\n")


main()
