//! Hands out host-candidate UDP ports from the configured range.
//!
//! webrtc 0.21.1 binds its own sockets inside each peer connection, so the SFU cannot hand it a
//! socket; it hands it a port instead. The pool remembers which ports its own peer connections
//! hold, and probes a candidate port on every bind address so a port another process took is
//! skipped rather than failing the join.

use crate::{Error, UdpPorts};
use std::collections::BTreeSet;
use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub(crate) struct PortPool {
    range: Option<(u16, u16)>,
    in_use: Mutex<BTreeSet<u16>>,
    /// Ports of closed peer connections whose sockets webrtc has not let go of yet (see
    /// [`PortPool::release_when_unbound`]): still in `in_use`, soon free.
    closing: AtomicUsize,
}

/// A port taken from the pool; `0` means "let the kernel pick", which needs no bookkeeping.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Lease(pub u16);

/// How long a closed peer connection's port may stay bound before it is released anyway, and so
/// how long a join may wait for such a port.
const CLOSING_AT_MOST: Duration = Duration::from_secs(2);

impl PortPool {
    pub(crate) fn new(udp: UdpPorts) -> Self {
        let range = match udp {
            UdpPorts::Range { min, max } => Some((min, max)),
            UdpPorts::Mux(_) => None,
        };
        PortPool { range, in_use: Mutex::new(BTreeSet::new()), closing: AtomicUsize::new(0) }
    }

    /// Takes a port that is free on every one of `ips`. When every port is taken but some are
    /// closing, waits for them (at most [`CLOSING_AT_MOST`]): a participant who leaves and joins
    /// again at once, in a range that is full, gets their port back.
    pub(crate) async fn lease(&self, ips: &[IpAddr]) -> Result<Lease, Error> {
        let deadline = Instant::now() + CLOSING_AT_MOST;
        loop {
            match self.try_lease(ips) {
                Err(_) if self.closing.load(Ordering::Acquire) > 0 && Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
                done => return done,
            }
        }
    }

    fn try_lease(&self, ips: &[IpAddr]) -> Result<Lease, Error> {
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

    /// Returns a closed peer connection's port to the pool once its socket is really gone, in the
    /// background. webrtc closes ICE sockets in tasks of its own, so right after `close()` the
    /// port may still be bound; released at once, the next join probed it, found it busy and
    /// reported the range full (seen in CI). Waiting here instead of in `leave` keeps the call's
    /// signalling going; a join that needs the port waits for it in [`PortPool::lease`]. After
    /// [`CLOSING_AT_MOST`] the port is released anyway (someone else may hold it; the next probe
    /// skips it then).
    pub(crate) fn release_when_unbound(self: &Arc<Self>, lease: Lease, ips: &[IpAddr]) {
        if lease.0 == 0 {
            return;
        }
        self.closing.fetch_add(1, Ordering::AcqRel);
        let (pool, ips) = (Arc::clone(self), ips.to_vec());
        tokio::spawn(async move {
            let deadline = Instant::now() + CLOSING_AT_MOST;
            while !ips.iter().all(|ip| UdpSocket::bind(SocketAddr::new(*ip, lease.0)).is_ok())
                && Instant::now() < deadline
            {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            pool.release(lease);
            pool.closing.fetch_sub(1, Ordering::AcqRel);
        });
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
        let a = pool.try_lease(&ip).unwrap();
        let b = pool.try_lease(&ip).unwrap();
        assert_ne!(a, b);
        let c = pool.try_lease(&ip).unwrap();
        assert!(pool.try_lease(&ip).is_err(), "the range has three ports");
        pool.release(b);
        assert_eq!(pool.try_lease(&ip).unwrap(), b);
        pool.release(a);
        pool.release(c);
    }

    #[test]
    fn a_port_held_by_someone_else_is_skipped() {
        let ip = [IpAddr::from([127, 0, 0, 1])];
        let held = UdpSocket::bind("127.0.0.1:0").unwrap();
        let port = held.local_addr().unwrap().port();
        let pool = PortPool::new(UdpPorts::Range { min: port, max: port });
        assert!(pool.try_lease(&ip).is_err());
    }

    #[tokio::test]
    async fn a_join_waits_for_a_port_whose_socket_is_still_closing() {
        let ip = [IpAddr::from([127, 0, 0, 1])];
        // A port of our own, still bound by the "closed" peer connection's socket.
        let lingering = UdpSocket::bind("127.0.0.1:0").unwrap();
        let port = lingering.local_addr().unwrap().port();
        let pool = Arc::new(PortPool::new(UdpPorts::Range { min: port, max: port }));
        pool.in_use.lock().unwrap().insert(port);
        assert!(pool.lease(&ip).await.is_err(), "full, and nothing closing: refused at once");
        pool.release_when_unbound(Lease(port), &ip);
        let started = Instant::now();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(100)).await;
            drop(lingering);
        });
        assert_eq!(pool.lease(&ip).await.unwrap(), Lease(port), "the port comes back once its socket is gone");
        let waited = started.elapsed();
        assert!(waited >= Duration::from_millis(90) && waited < CLOSING_AT_MOST, "{waited:?}");
        assert_eq!(pool.closing.load(Ordering::Acquire), 0);
    }

    #[test]
    fn mux_zero_leases_ephemeral_ports() {
        let pool = PortPool::new(UdpPorts::Mux(0));
        assert_eq!(pool.try_lease(&[IpAddr::from([127, 0, 0, 1])]).unwrap(), Lease(0));
    }
}
