//! The bridge from the engine's blocking calls to the async NATS client: a small tokio
//! runtime owned by the store (one worker thread, which also drives the client's
//! connection), and [`Bridge::run`], which runs one request on it with a deadline, or
//! [`Bridge::run_retrying`], which tries it again while the cluster cannot answer.
//!
//! The hub's incident actors are std threads, but the CLI and the hub's start-up may
//! call the store from inside another runtime, where blocking on a runtime panics; there
//! the request runs on a short-lived scoped thread instead.

use std::future::Future;
use std::time::{Duration, Instant};

use tokio::runtime::{Builder, Handle, Runtime};

use super::error::NatsError;

/// The runtime the store's client lives on.
#[derive(Debug)]
pub(super) struct Bridge {
    /// `Some` until dropped: [`Drop`] takes it to shut it down without blocking.
    runtime: Option<Runtime>,
    /// The longest any one request may take before it is reported unavailable.
    pub(super) deadline: Duration,
}

impl Bridge {
    pub(super) fn new(deadline: Duration) -> Result<Bridge, NatsError> {
        let runtime = Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("warroom-nats")
            .enable_all()
            .build()
            .map_err(|e| {
                NatsError::Config(format!("cannot start the NATS client's runtime: {e}"))
            })?;
        Ok(Bridge {
            runtime: Some(runtime),
            deadline,
        })
    }

    fn handle(&self) -> Result<&Handle, NatsError> {
        self.runtime
            .as_ref()
            .map(Runtime::handle)
            .ok_or_else(|| NatsError::Config("the NATS client's runtime has stopped".into()))
    }

    /// Runs `request` (what it does, for messages: `op`) on the store's runtime and waits
    /// for it, at most [`Bridge::deadline`]: past it the request is abandoned and the
    /// store reported unavailable (nothing the caller can count on was done).
    pub(super) fn run<T: Send>(
        &self,
        op: &str,
        request: impl Future<Output = Result<T, NatsError>> + Send,
    ) -> Result<T, NatsError> {
        let handle = self.handle()?;
        let deadline = self.deadline;
        let bounded = async move {
            match tokio::time::timeout(deadline, request).await {
                Ok(result) => result,
                Err(_) => Err(NatsError::Unavailable {
                    op: op.to_owned(),
                    reason: format!("no answer within {} s", deadline.as_secs_f32()),
                }),
            }
        };
        if Handle::try_current().is_err() {
            return handle.block_on(bounded);
        }
        // Inside another runtime: blocking it here would panic, so block a helper thread.
        std::thread::scope(|scope| {
            scope
                .spawn(|| handle.block_on(bounded))
                .join()
                .unwrap_or_else(|_| {
                    Err(NatsError::Unavailable {
                        op: op.to_owned(),
                        reason: "the request's thread panicked".into(),
                    })
                })
        })
    }
}

/// The longest one try of a retried request waits for its answer. JetStream answers in
/// milliseconds; a request that reached a stream leader as it died is never answered,
/// and a new leader is elected within a few seconds.
pub(super) const TRY_WAIT: Duration = Duration::from_secs(2);

/// The pause before a request the cluster could not answer is made again.
pub(super) const RETRY_PAUSE: Duration = Duration::from_millis(250);

impl Bridge {
    /// Like [`Bridge::run`], for a request that may be made again (a read, or a
    /// publish with its message id and expected sequence): each try waits at most
    /// [`TRY_WAIT`], and one that fails as unavailable while the client is connected
    /// (a stream leader being elected) is made again, until the deadline. So a write
    /// resumes within about [`TRY_WAIT`] of the new leader, not at the deadline; with
    /// the client disconnected the caller hears at once (a retryable refusal).
    pub(super) fn run_retrying<T: Send, Fut>(
        &self,
        op: &str,
        client: &async_nats::Client,
        attempt: impl Fn() -> Fut + Send + Sync,
    ) -> Result<T, NatsError>
    where
        Fut: Future<Output = Result<T, NatsError>> + Send,
    {
        let tries_until = Instant::now() + self.deadline.saturating_sub(TRY_WAIT);
        self.run(op, async {
            loop {
                let failure = match tokio::time::timeout(TRY_WAIT, attempt()).await {
                    Ok(Ok(value)) => return Ok(value),
                    Ok(Err(failure)) => failure,
                    Err(_) => NatsError::Unavailable {
                        op: op.to_owned(),
                        reason: format!("no answer within {} s", TRY_WAIT.as_secs_f32()),
                    },
                };
                let connected =
                    client.connection_state() == async_nats::connection::State::Connected;
                if !matches!(failure, NatsError::Unavailable { .. })
                    || !connected
                    || Instant::now() + RETRY_PAUSE >= tries_until
                {
                    return Err(failure);
                }
                tracing::debug!(%op, error = %failure, "trying again");
                tokio::time::sleep(RETRY_PAUSE).await;
            }
        })
    }

    /// Runs `task` in the background on the store's runtime until it ends or the
    /// returned handle aborts it.
    pub(super) fn spawn(
        &self,
        task: impl Future<Output = ()> + Send + 'static,
    ) -> Result<tokio::task::AbortHandle, NatsError> {
        Ok(self.handle()?.spawn(task).abort_handle())
    }
}

impl Drop for Bridge {
    fn drop(&mut self) {
        // A runtime dropped inside another runtime panics; shutting it down in the
        // background never blocks.
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}
