//! Shared by the WebRTC tests: a loopback-only network and a small publishing/subscribing client
//! built on the `webrtc` crate itself.

#![allow(dead_code)] // each test binary uses a different part of this module

pub mod client;

use std::future::Future;
use std::process::Command;

/// Moves the calling thread into a fresh network namespace whose only interface is `lo`, so
/// WebRTC cannot touch a real interface. Namespaces are per thread: the tokio runtime must be
/// built after this call (see [`run`]), so its threads inherit the namespace.
pub fn loopback_only() {
    if let Err(err) = nix::sched::unshare(nix::sched::CloneFlags::CLONE_NEWNET) {
        panic!(
            "WebRTC tests need root to make a loopback-only network namespace; CI runs as root \
             (unshare(CLONE_NEWNET) failed: {err})"
        );
    }
    let status =
        Command::new("ip").args(["link", "set", "lo", "up"]).status().expect("run `ip link set lo up` (iproute2)");
    assert!(status.success(), "`ip link set lo up` failed: {status}");
    let links = Command::new("ip").args(["-o", "link"]).output().expect("run `ip -o link`");
    let links = String::from_utf8_lossy(&links.stdout);
    let names: Vec<&str> = links.lines().filter_map(|line| line.split(':').nth(1)).map(str::trim).collect();
    assert_eq!(names, ["lo"], "the test namespace must hold only loopback, found: {links}");
}

/// Runs an async test body on a runtime created inside a loopback-only network namespace.
pub fn run<F: Future<Output = ()>>(body: F) {
    loopback_only();
    let runtime =
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("tokio runtime");
    runtime.block_on(body);
}
