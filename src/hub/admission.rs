//! Who may hold a socket on the hub. Every accepted connection takes a [`Slot`]; the hub
//! caps open connections overall, and *unauthenticated* ones (plain HTTP, and WebSocket
//! connections that have not yet sent a valid `hello`) per client address. When a cap is
//! reached the oldest idle unauthenticated connection (no request in progress, no hello
//! being checked) is evicted to make room; only when none can be is the newcomer
//! refused. So a flood of idle sockets churns through its own share and `/health`, a
//! metrics scrape or a login (each a fresh, quick connection) still gets in.

use super::metrics::Metrics;
use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::Duration;
use tokio::sync::watch;

/// The caps and timeouts for client connections (the `[connections]` block of the hub
/// configuration; docs/PROTOCOL.md §14).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// Open connections of any kind, authenticated or not.
    pub max_connections: usize,
    /// Unauthenticated connections from one address (an IPv6 client: its /64).
    pub max_unauthenticated_per_ip: usize,
    /// Time to send a complete HTTP request head (also between keep-alive requests).
    pub header_timeout: Duration,
    /// Time from the WebSocket upgrade to a complete `hello` frame.
    pub hello_timeout: Duration,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        ConnectionLimits {
            max_connections: 1_000,
            max_unauthenticated_per_ip: 64,
            header_timeout: Duration::from_secs(10),
            hello_timeout: Duration::from_secs(10),
        }
    }
}

const WAITING: u8 = 0;
const AUTHENTICATED: u8 = 1;
const EVICTED: u8 = 2;

/// The shared table of open connections.
pub struct Admission {
    max_connections: usize,
    max_per_ip: usize,
    metrics: Arc<Metrics>,
    table: Mutex<Table>,
}

#[derive(Default)]
struct Table {
    next_id: u64,
    /// Admitted and neither evicted nor closed.
    open: usize,
    /// Unauthenticated connections, oldest first (ids grow).
    waiting: BTreeMap<u64, Weak<SlotInner>>,
    per_ip: HashMap<IpAddr, usize>,
}

/// One admitted connection. Clones share it; the connection's place is given back when
/// the last clone is dropped (the HTTP connection task and, after an upgrade, the
/// WebSocket session each hold one).
#[derive(Clone)]
pub struct Slot(Arc<SlotInner>);

struct SlotInner {
    id: u64,
    ip: IpAddr,
    /// `WAITING`, `AUTHENTICATED` or `EVICTED`; changed only under the table lock.
    phase: AtomicU8,
    /// Requests or hello checks in progress: a busy connection is never evicted.
    busy: AtomicUsize,
    evict: watch::Sender<bool>,
    admission: Arc<Admission>,
    /// Held until the connection is gone, so the server can wait for every one.
    _alive: watch::Receiver<()>,
}

/// Marks a connection busy while it lives.
pub struct Busy(Arc<SlotInner>);

impl Drop for Busy {
    fn drop(&mut self) {
        self.0.busy.fetch_sub(1, Ordering::Relaxed);
    }
}

/// IPv6 clients usually hold a whole /64: count them by it.
fn ip_key(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V6(v6) => {
            let prefix = u128::from(v6) & !((1u128 << 64) - 1);
            IpAddr::V6(prefix.into())
        }
        v4 => v4,
    }
}

impl Admission {
    pub fn new(limits: &ConnectionLimits, metrics: Arc<Metrics>) -> Arc<Admission> {
        Arc::new(Admission {
            max_connections: limits.max_connections.max(1),
            max_per_ip: limits.max_unauthenticated_per_ip.max(1),
            metrics,
            table: Mutex::new(Table::default()),
        })
    }

    fn lock(&self) -> MutexGuard<'_, Table> {
        // A panic while holding this lock leaves counts that are still usable.
        self.table
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// A place for a new connection from `ip`, evicting the oldest idle unauthenticated
    /// connection if a cap is reached; `None` (counted as refused) if none can be.
    pub fn admit(self: &Arc<Self>, ip: IpAddr, alive: watch::Receiver<()>) -> Option<Slot> {
        let key = ip_key(ip);
        // Slots looked at under the lock are dropped after it: dropping the last clone
        // of one takes the lock itself.
        let mut looked_at = Vec::new();
        let mut table = self.lock();
        let from_ip = table.per_ip.get(&key).copied().unwrap_or(0);
        let room_for_ip =
            from_ip < self.max_per_ip || self.evict_oldest(&mut table, Some(key), &mut looked_at);
        let room = room_for_ip
            && (table.open < self.max_connections
                || self.evict_oldest(&mut table, None, &mut looked_at));
        if !room {
            drop(table);
            self.metrics
                .connections_refused
                .fetch_add(1, Ordering::Relaxed);
            return None;
        }
        table.next_id += 1;
        let id = table.next_id;
        let inner = Arc::new(SlotInner {
            id,
            ip: key,
            phase: AtomicU8::new(WAITING),
            busy: AtomicUsize::new(0),
            evict: watch::Sender::new(false),
            admission: self.clone(),
            _alive: alive,
        });
        table.open += 1;
        *table.per_ip.entry(key).or_insert(0) += 1;
        table.waiting.insert(id, Arc::downgrade(&inner));
        self.gauge(&table);
        drop(table);
        drop(looked_at);
        Some(Slot(inner))
    }

    /// Evicts the oldest idle unauthenticated connection (from `ip`, if given); false if
    /// there is none. Every slot it looked at goes to `looked_at`, for the caller to drop
    /// once it has let go of the lock.
    fn evict_oldest(
        &self,
        table: &mut Table,
        ip: Option<IpAddr>,
        looked_at: &mut Vec<Arc<SlotInner>>,
    ) -> bool {
        let mut victim = None;
        for (id, weak) in &table.waiting {
            let Some(slot) = weak.upgrade() else {
                continue; // closing right now: its drop is waiting for the lock
            };
            let idle = slot.busy.load(Ordering::Relaxed) == 0;
            let chosen = idle && ip.is_none_or(|ip| slot.ip == ip);
            looked_at.push(slot.clone());
            if chosen {
                victim = Some((*id, slot));
                break;
            }
        }
        let Some((id, slot)) = victim else {
            return false;
        };
        table.waiting.remove(&id);
        Self::forget_waiting(table, slot.ip);
        table.open = table.open.saturating_sub(1);
        slot.phase.store(EVICTED, Ordering::Relaxed);
        slot.evict.send_replace(true);
        self.metrics
            .connections_evicted
            .fetch_add(1, Ordering::Relaxed);
        self.gauge(table);
        true
    }

    fn forget_waiting(table: &mut Table, ip: IpAddr) {
        if let Some(count) = table.per_ip.get_mut(&ip) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                table.per_ip.remove(&ip);
            }
        }
    }

    /// Evicts the oldest idle unauthenticated connection from anyone: for when the
    /// process itself has run out of descriptors. False if there was none.
    pub fn shed_one(&self) -> bool {
        let mut looked_at = Vec::new();
        let mut table = self.lock();
        let shed = self.evict_oldest(&mut table, None, &mut looked_at);
        drop(table);
        drop(looked_at);
        shed
    }

    fn gauge(&self, table: &Table) {
        let open = i64::try_from(table.open).unwrap_or(i64::MAX);
        self.metrics.sockets.store(open, Ordering::Relaxed);
    }
}

impl Slot {
    /// The connection proved who it is: it no longer counts against its address's
    /// unauthenticated cap and is never evicted. False if it was evicted first.
    pub fn authenticated(&self) -> bool {
        let admission = &self.0.admission;
        let mut table = admission.lock();
        match self.0.phase.load(Ordering::Relaxed) {
            WAITING => {
                table.waiting.remove(&self.0.id);
                Admission::forget_waiting(&mut table, self.0.ip);
                self.0.phase.store(AUTHENTICATED, Ordering::Relaxed);
                true
            }
            phase => phase == AUTHENTICATED,
        }
    }

    /// Keeps the connection from being evicted while the guard lives.
    pub fn busy(&self) -> Busy {
        self.0.busy.fetch_add(1, Ordering::Relaxed);
        Busy(self.0.clone())
    }

    /// Resolves when the connection has been evicted to make room for another.
    pub async fn evicted(&self) {
        let mut evicted = self.0.evict.subscribe();
        let _ = evicted.wait_for(|evicted| *evicted).await;
    }
}

impl Drop for SlotInner {
    fn drop(&mut self) {
        let admission = self.admission.clone();
        let mut table = admission.lock();
        match self.phase.load(Ordering::Relaxed) {
            WAITING => {
                table.waiting.remove(&self.id);
                Admission::forget_waiting(&mut table, self.ip);
                table.open = table.open.saturating_sub(1);
            }
            AUTHENTICATED => table.open = table.open.saturating_sub(1),
            _ => {} // evicted: already given back
        }
        admission.gauge(&table);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn admission(total: usize, per_ip: usize) -> (Arc<Admission>, watch::Sender<()>) {
        let limits = ConnectionLimits {
            max_connections: total,
            max_unauthenticated_per_ip: per_ip,
            ..ConnectionLimits::default()
        };
        let (alive, _) = watch::channel(());
        (Admission::new(&limits, Arc::new(Metrics::default())), alive)
    }

    fn ip(last: u8) -> IpAddr {
        IpAddr::from([10, 0, 0, last])
    }

    fn evicted(slot: &Slot) -> bool {
        *slot.0.evict.borrow()
    }

    #[test]
    fn a_full_address_evicts_its_own_oldest_idle_connection() {
        let (admission, alive) = admission(100, 2);
        let a = admission.admit(ip(1), alive.subscribe()).unwrap();
        let b = admission.admit(ip(1), alive.subscribe()).unwrap();
        let other = admission.admit(ip(2), alive.subscribe()).unwrap();
        let c = admission.admit(ip(1), alive.subscribe()).unwrap();
        assert!(evicted(&a) && !evicted(&b) && !evicted(&c) && !evicted(&other));
        let _busy = (b.busy(), c.busy());
        assert!(
            admission.admit(ip(1), alive.subscribe()).is_none(),
            "all busy"
        );
        let metrics = &admission.metrics;
        assert_eq!(metrics.connections_evicted.load(Ordering::Relaxed), 1);
        assert_eq!(metrics.connections_refused.load(Ordering::Relaxed), 1);
    }

    #[test]
    fn the_total_cap_evicts_the_oldest_unauthenticated_and_spares_the_authenticated() {
        let (admission, alive) = admission(3, 10);
        let first = admission.admit(ip(1), alive.subscribe()).unwrap();
        assert!(first.authenticated());
        let second = admission.admit(ip(2), alive.subscribe()).unwrap();
        let third = admission.admit(ip(3), alive.subscribe()).unwrap();
        let fourth = admission.admit(ip(4), alive.subscribe()).unwrap();
        assert!(!evicted(&first) && evicted(&second) && !evicted(&third));
        assert!(!second.authenticated(), "too late: it was evicted");
        assert!(third.authenticated() && fourth.authenticated());
        assert!(admission.admit(ip(5), alive.subscribe()).is_none());
        drop(first);
        assert!(admission.admit(ip(5), alive.subscribe()).is_some());
    }

    #[test]
    fn places_are_given_back_when_the_last_clone_goes() {
        let (admission, alive) = admission(1, 1);
        let slot = admission.admit(ip(1), alive.subscribe()).unwrap();
        let _busy = slot.busy();
        let clone = slot.clone();
        drop(slot);
        assert!(admission.admit(ip(2), alive.subscribe()).is_none());
        drop((clone, _busy));
        assert_eq!(admission.metrics.sockets.load(Ordering::Relaxed), 0);
        assert!(admission.lock().per_ip.is_empty());
        assert!(admission.admit(ip(2), alive.subscribe()).is_some());
    }

    #[test]
    fn an_ipv6_client_is_counted_by_its_slash_64() {
        let a: IpAddr = "2001:db8:1:2::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:ffff::9".parse().unwrap();
        let c: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(ip_key(a), ip_key(b));
        assert_ne!(ip_key(a), ip_key(c));
        let mapped: IpAddr = "::ffff:10.0.0.1".parse().unwrap();
        assert_eq!(ip_key(mapped), ip(1));
    }
}
