//! Hands out host-candidate UDP ports from the configured range.
//!
//! webrtc 0.21.1 binds its own sockets inside each peer connection, so the SFU cannot hand it a
//! socket; it hands it a port instead. The pool remembers which ports its own peer connections
//! hold, and probes a candidate port on every bind address so a port another process took is
//! skipped rather than failing the join.

use crate::{Error, UdpPorts};
use std::collections::BTreeSet;
use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::sync::Mutex;

pub(crate) struct PortPool {
    range: Option<(u16, u16)>,
    in_use: Mutex<BTreeSet<u16>>,
}

/// A port taken from the pool; `0` means "let the kernel pick", which needs no bookkeeping.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Lease(pub u16);

impl PortPool {
    pub(crate) fn new(udp: UdpPorts) -> Self {
        let range = match udp {
            UdpPorts::Range { min, max } => Some((min, max)),
            UdpPorts::Mux(_) => None,
        };
        PortPool { range, in_use: Mutex::new(BTreeSet::new()) }
    }

    /// Takes a port that is free on every one of `ips`.
    pub(crate) fn lease(&self, ips: &[IpAddr]) -> Result<Lease, Error> {
        let Some((min, max)) = self.range else {
            return Ok(Lease(0));
        };
        let mut in_use = self.in_use.lock().unwrap_or_else(|e| e.into_inner());
        for port in min..=max {
            if in_use.contains(&port) {
                continue;
            }
            // Probing binds and drops at once; the peer connection binds the port for real a few
            // milliseconds later. Another process could slip in between: the join then fails
            // with an engine error and the next join probes again.
            let free = ips.iter().all(|ip| UdpSocket::bind(SocketAddr::new(*ip, port)).is_ok());
            if free {
                in_use.insert(port);
                return Ok(Lease(port));
            }
        }
        Err(Error::Engine(format!(
            "no free UDP port left in {min}-{max}: too many participants for the configured range"
        )))
    }

    /// Returns a closed peer connection's port to the pool once its socket is really gone.
    /// webrtc closes ICE sockets in background tasks, so right after `close()` the port may still
    /// be bound; releasing it at once let the next join probe it, find it busy and report the
    /// range full (seen in CI). Waits at most two seconds: a port someone else took meanwhile is
    /// released anyway and skipped by the next probe.
    pub(crate) async fn release_when_unbound(&self, lease: Lease, ips: &[IpAddr]) {
        if lease.0 != 0 {
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
            while !ips.iter().all(|ip| UdpSocket::bind(SocketAddr::new(*ip, lease.0)).is_ok())
                && std::time::Instant::now() < deadline
            {
                tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            }
        }
        self.release(lease);
    }

    pub(crate) fn release(&self, lease: Lease) {
        if lease.0 != 0 {
            let mut in_use = self.in_use.lock().unwrap_or_else(|e| e.into_inner());
            in_use.remove(&lease.0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leases_distinct_ports_and_reuses_released_ones() {
        let ip = [IpAddr::from([127, 0, 0, 1])];
        // A high range unlikely to be busy; the test asserts distinctness, not exact numbers.
        let pool = PortPool::new(UdpPorts::Range { min: 47100, max: 47102 });
        let a = pool.lease(&ip).unwrap();
        let b = pool.lease(&ip).unwrap();
        assert_ne!(a, b);
        let c = pool.lease(&ip).unwrap();
        assert!(pool.lease(&ip).is_err(), "the range has three ports");
        pool.release(b);
        assert_eq!(pool.lease(&ip).unwrap(), b);
        pool.release(a);
        pool.release(c);
    }

    #[test]
    fn a_port_held_by_someone_else_is_skipped() {
        let ip = [IpAddr::from([127, 0, 0, 1])];
        let held = UdpSocket::bind("127.0.0.1:0").unwrap();
        let port = held.local_addr().unwrap().port();
        let pool = PortPool::new(UdpPorts::Range { min: port, max: port });
        assert!(pool.lease(&ip).is_err());
    }

    #[test]
    fn mux_zero_leases_ephemeral_ports() {
        let pool = PortPool::new(UdpPorts::Mux(0));
        assert_eq!(pool.lease(&[IpAddr::from([127, 0, 0, 1])]).unwrap(), Lease(0));
    }
}
