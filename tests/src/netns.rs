//! A private, loopback-only network namespace for tests that do WebRTC (browser tests, SFU tests,
//! load clients). An ICE agent gathers candidates on every interface it sees and will happily
//! pair a machine's eth0 with a loopback candidate; in a namespace whose only interface is `lo`,
//! every packet provably stays on 127.0.0.1 (see /work/shared/TESTING.md).
//!
//! Namespaces belong to threads, not processes: [`loopback_only`] moves the *calling thread*.
//! Threads and child processes it creates afterwards inherit the namespace; threads that already
//! exist do not. So call it first, then build the tokio runtime by hand (`#[tokio::test]` starts
//! its worker threads before the test body runs, in the old namespace), then start the server and
//! any child processes (browsers, node) from there.
//!
//! Inside, 127.0.0.1 is the namespace's own loopback: PostgreSQL on the host's 127.0.0.1:5432 is
//! out of reach (its Unix socket is not); use SQLite or the socket.

use std::process::Command;

use nix::sched::{unshare, CloneFlags};
use nix::unistd::geteuid;

/// Moves the calling thread into a fresh network namespace with only `lo`, up (127.0.0.1 and ::1).
///
/// Panics — never skips — when that cannot be done: not root, `unshare(CLONE_NEWNET)` refused
/// (e.g. a container without CAP_SYS_ADMIN), or `ip` missing.
pub fn loopback_only() {
    if !geteuid().is_root() {
        panic!(
            "this test needs root to make a loopback-only network namespace (unshare CLONE_NEWNET); \
             CI runs as root. Run it as root, e.g. `sudo -E scripts/test`."
        );
    }
    if let Err(e) = unshare(CloneFlags::CLONE_NEWNET) {
        panic!(
            "unshare(CLONE_NEWNET) failed: {e}. This test needs root with CAP_SYS_ADMIN to make a \
             loopback-only network namespace; CI runs as root (a container needs --privileged or \
             --cap-add SYS_ADMIN)."
        );
    }
    // A fresh namespace's `lo` is down. `ip` runs as our child, so in our new namespace.
    let status = Command::new("ip").args(["link", "set", "lo", "up"]).status().unwrap_or_else(|e| {
        panic!("cannot run `ip link set lo up` ({e}): install iproute2 (Debian package `iproute2`)")
    });
    assert!(status.success(), "`ip link set lo up` failed ({status}) in the new network namespace");

    // Check what we got rather than trust it: exactly one interface, `lo`. /proc/thread-self is
    // this thread's view (/proc/self would be the main thread's, which stays in the host's namespace).
    let dev = std::fs::read_to_string("/proc/thread-self/net/dev").expect("read /proc/thread-self/net/dev");
    let interfaces: Vec<&str> =
        dev.lines().skip(2).filter_map(|l| l.split(':').next()).map(str::trim).filter(|s| !s.is_empty()).collect();
    assert_eq!(interfaces, ["lo"], "the new network namespace should hold only lo:\n{dev}");
    std::net::UdpSocket::bind("127.0.0.1:0").expect("127.0.0.1 is usable after `ip link set lo up`");
}
