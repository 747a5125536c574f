//! The process's open-file limit. Every socket is a file descriptor, and a hub that runs
//! out of them cannot accept anything, `/health` included. At start the soft limit is
//! raised toward the hard one (as Go's runtime and most servers do); what it then allows
//! bounds how many connections the hub admits, so the caps and not the kernel decide.

/// Descriptors kept back from client sockets, as a share of the limit: incident logs,
/// outgoing HTTP for actions and deliveries, pipes of exec actions, the runtime itself.
fn reserved(limit: usize) -> usize {
    (limit / 4).clamp(32, 1024)
}

/// Raises the soft open-file limit as far as allowed and returns how many client
/// connections fit under it; `None` when there is no limit (or it cannot be read).
pub fn connection_budget() -> Option<usize> {
    let limit = raise_soft_limit()?;
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    // At least a handful, so a tiny limit still lets /health and one login through.
    Some(limit.saturating_sub(reserved(limit)).max(8))
}

#[cfg(unix)]
fn raise_soft_limit() -> Option<u64> {
    use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
    let current = getrlimit(Resource::Nofile);
    let soft = current.current?;
    // Some systems refuse "unlimited" or a huge soft limit although the hard one allows
    // it (macOS caps it at kern.maxfilesperproc): try the hard limit, then smaller steps.
    let hard = current.maximum.unwrap_or(u64::MAX);
    for target in [hard, 1 << 20, 65_536, 10_240] {
        if target <= soft || target > hard {
            continue;
        }
        let raised = Rlimit {
            current: Some(target),
            maximum: current.maximum,
        };
        if setrlimit(Resource::Nofile, raised).is_ok() {
            tracing::debug!(from = soft, to = target, "raised the open-file limit");
            return Some(target);
        }
    }
    Some(soft)
}

#[cfg(not(unix))]
fn raise_soft_limit() -> Option<u64> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_quarter_is_kept_back_within_bounds() {
        assert_eq!(reserved(100), 32);
        assert_eq!(reserved(1024), 256);
        assert_eq!(reserved(1 << 20), 1024);
    }

    #[test]
    fn the_budget_is_below_the_limit_it_leaves() {
        let budget = connection_budget();
        #[cfg(unix)]
        {
            let soft = rustix::process::getrlimit(rustix::process::Resource::Nofile).current;
            if let (Some(budget), Some(soft)) = (budget, soft) {
                assert!((budget as u64) < soft, "{budget} < {soft}");
            }
        }
        let _ = budget;
    }
}
