//! Bytes on their way to an SSH channel. A writer task per channel sends them through
//! russh's window-respecting writer, so a client that stops reading stalls only its
//! own task; what waits for it is a bounded queue. The console's screen (`Screen`)
//! never waits: when the queue is full the flush fails and the console ends, telling
//! the person why. Commands' output (`Blocking`) waits for room instead, from a
//! blocking thread.

use russh::ChannelWriteHalf;
use russh::server::Msg;
use std::io::Write;
use tokio::io::AsyncWriteExt;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// Chunks (a console flushes once per frame) queued for one channel at most.
pub const QUEUE: usize = 32;
/// Commands' output is sent in chunks of about this size.
const CHUNK: usize = 32 * 1024;

/// Starts the writer task of a channel; its queue's sending side.
pub fn start(half: &ChannelWriteHalf<Msg>) -> (mpsc::Sender<Vec<u8>>, JoinHandle<()>) {
    let (tx, mut rx) = mpsc::channel::<Vec<u8>>(QUEUE);
    let mut writer = half.make_writer();
    let task = tokio::spawn(async move {
        while let Some(bytes) = rx.recv().await {
            if writer.write_all(&bytes).await.is_err() {
                return;
            }
        }
        let _ = writer.flush().await;
    });
    (tx, task)
}

/// The console's screen over a channel: a frame is queued on flush, never waited for.
pub struct Screen {
    buffer: Vec<u8>,
    queue: mpsc::Sender<Vec<u8>>,
}

impl Screen {
    pub fn new(queue: mpsc::Sender<Vec<u8>>) -> Screen {
        Screen {
            buffer: Vec::new(),
            queue,
        }
    }
}

impl Write for Screen {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.buffer.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let frame = std::mem::take(&mut self.buffer);
        self.queue.try_send(frame).map_err(|e| match e {
            mpsc::error::TrySendError::Full(_) => std::io::Error::new(
                std::io::ErrorKind::WouldBlock,
                "your SSH connection is not keeping up with the console",
            ),
            mpsc::error::TrySendError::Closed(_) => std::io::ErrorKind::BrokenPipe.into(),
        })
    }
}

/// A command's output over a channel, from a blocking thread: waits for room.
pub struct Blocking {
    buffer: Vec<u8>,
    queue: mpsc::Sender<Vec<u8>>,
}

impl Blocking {
    pub fn new(queue: mpsc::Sender<Vec<u8>>) -> Blocking {
        Blocking {
            buffer: Vec::new(),
            queue,
        }
    }
}

impl Write for Blocking {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.buffer.extend_from_slice(bytes);
        if self.buffer.len() >= CHUNK {
            self.flush()?;
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let chunk = std::mem::take(&mut self.buffer);
        self.queue
            .blocking_send(chunk)
            .map_err(|_| std::io::ErrorKind::BrokenPipe.into())
    }
}

impl Drop for Blocking {
    fn drop(&mut self) {
        let _ = self.flush();
    }
}
