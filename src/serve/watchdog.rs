//! The header and idle timeouts of one connection. hyper's own header
//! timeout also runs while a keep-alive connection waits for its next
//! request, so the two could not differ; this watches the socket instead.
//!
//! A connection is reading a request's head (from its opening, or from the
//! first byte of a later request, until the router takes it:
//! `--header-timeout`), busy (a request is being answered: the body and
//! request timeouts of `limits` apply), or idle (kept alive with no request
//! since the last reply: `--idle-timeout`). Past its deadline the socket's
//! next read or write fails, and hyper closes the connection without a reply.

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker, ready};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{Instant, Sleep};

#[derive(Debug, Clone, Copy)]
enum Phase {
    Idle(Instant),
    Head(Instant),
    Busy(usize),
}

#[derive(Debug)]
struct State {
    phase: Phase,
    /// The task last left waiting on a read: hyper does not read again after
    /// a reply until the socket wakes it, so the idle timer is set by
    /// waking it when the connection turns idle.
    reader: Option<Waker>,
}

/// What one connection is doing, shared by its socket and its requests.
#[derive(Debug)]
pub struct Activity {
    header: Duration,
    idle: Duration,
    state: Mutex<State>,
}

impl Activity {
    /// A connection just opened: a client connects to send a request, so
    /// its head is due within the header timeout.
    pub fn new(header: Duration, idle: Duration) -> Arc<Activity> {
        Arc::new(Activity {
            header,
            idle,
            state: Mutex::new(State {
                phase: Phase::Head(Instant::now()),
                reader: None,
            }),
        })
    }

    fn with<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        f(&mut self.state.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// Bytes arrived: an idle connection starts reading a request head.
    fn received(&self) {
        self.with(|s| {
            if let Phase::Idle(_) = s.phase {
                s.phase = Phase::Head(Instant::now());
            }
        });
    }

    /// A request reached the router; the connection is busy until the
    /// guard drops (its reply is made).
    pub fn busy(self: &Arc<Self>) -> BusyGuard {
        self.with(|s| {
            s.phase = match s.phase {
                Phase::Busy(n) => Phase::Busy(n + 1),
                _ => Phase::Busy(1),
            }
        });
        BusyGuard(self.clone())
    }

    fn deadline(&self) -> Option<Instant> {
        self.with(|s| match s.phase {
            Phase::Idle(since) => Some(since + self.idle),
            Phase::Head(since) => Some(since + self.header),
            Phase::Busy(_) => None,
        })
    }
}

pub struct BusyGuard(Arc<Activity>);

impl Drop for BusyGuard {
    fn drop(&mut self) {
        let reader = self.0.with(|s| match s.phase {
            Phase::Busy(n) if n > 1 => {
                s.phase = Phase::Busy(n - 1);
                None
            }
            _ => {
                s.phase = Phase::Idle(Instant::now());
                s.reader.take()
            }
        });
        if let Some(reader) = reader {
            reader.wake();
        }
    }
}

/// A socket whose reads and writes fail once the connection's deadline
/// has passed while it waits.
pub struct Watched<S> {
    inner: S,
    activity: Arc<Activity>,
    sleep: Pin<Box<Sleep>>,
}

impl<S> Watched<S> {
    pub fn new(inner: S, activity: Arc<Activity>) -> Watched<S> {
        let sleep = Box::pin(tokio::time::sleep_until(Instant::now() + activity.header));
        Watched {
            inner,
            activity,
            sleep,
        }
    }

    /// Called when the socket would wait: ready with an error past the
    /// deadline, else pending with a timer set to wake the task then.
    fn expired(&mut self, cx: &mut Context<'_>) -> Poll<io::Error> {
        let Some(deadline) = self.activity.deadline() else {
            return Poll::Pending;
        };
        if self.sleep.deadline() != deadline {
            self.sleep.as_mut().reset(deadline);
        }
        ready!(self.sleep.as_mut().poll(cx));
        Poll::Ready(io::Error::new(
            io::ErrorKind::TimedOut,
            "the connection passed its header or idle timeout",
        ))
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Watched<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        match Pin::new(&mut self.inner).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                if buf.filled().len() > before {
                    self.activity.received();
                }
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => {
                let waker = cx.waker();
                self.activity.with(|s| match &mut s.reader {
                    Some(w) => w.clone_from(waker),
                    none => *none = Some(waker.clone()),
                });
                self.expired(cx).map(Err)
            }
        }
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Watched<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match Pin::new(&mut self.inner).poll_write(cx, buf) {
            Poll::Pending => self.expired(cx).map(Err),
            done => done,
        }
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match Pin::new(&mut self.inner).poll_flush(cx) {
            Poll::Pending => self.expired(cx).map(Err),
            done => done,
        }
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match Pin::new(&mut self.inner).poll_shutdown(cx) {
            Poll::Pending => self.expired(cx).map(Err),
            done => done,
        }
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match Pin::new(&mut self.inner).poll_write_vectored(cx, bufs) {
            Poll::Pending => self.expired(cx).map(Err),
            done => done,
        }
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    fn watched(
        header: u64,
        idle: u64,
    ) -> (
        Watched<tokio::io::DuplexStream>,
        tokio::io::DuplexStream,
        Arc<Activity>,
    ) {
        let (server, client) = tokio::io::duplex(1024);
        let activity = Activity::new(Duration::from_secs(header), Duration::from_secs(idle));
        (Watched::new(server, activity.clone()), client, activity)
    }

    #[tokio::test(start_paused = true)]
    async fn a_silent_new_connection_fails_after_the_header_timeout() {
        let (mut server, _client, _) = watched(2, 60);
        let started = Instant::now();
        let mut buf = [0; 8];
        let e = server.read(&mut buf).await.unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::TimedOut);
        assert_eq!(started.elapsed(), Duration::from_secs(2));
    }

    #[tokio::test(start_paused = true)]
    async fn a_head_started_after_a_reply_fails_after_the_header_timeout() {
        let (mut server, mut client, activity) = watched(2, 60);
        drop(activity.busy());
        tokio::time::sleep(Duration::from_secs(30)).await;
        client.write_all(b"GET / HT").await.unwrap();
        let mut buf = [0; 8];
        assert_eq!(server.read(&mut buf).await.unwrap(), 8);
        let started = Instant::now();
        let e = server.read(&mut buf).await.unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::TimedOut);
        assert_eq!(started.elapsed(), Duration::from_secs(2));
    }

    #[tokio::test(start_paused = true)]
    async fn a_busy_connection_has_no_deadline_and_is_idle_after() {
        let (mut server, _client, activity) = watched(1, 3);
        let busy = activity.busy();
        // A read left waiting while busy (as hyper leaves one during a
        // request) is woken to time out once the connection is idle.
        let read = tokio::spawn(async move {
            let mut buf = [0; 8];
            let e = server.read(&mut buf).await.unwrap_err();
            (e.kind(), Instant::now())
        });
        tokio::time::sleep(Duration::from_secs(100)).await;
        assert!(!read.is_finished(), "a busy connection timed out");
        drop(busy);
        let idle = Instant::now();
        let (kind, at) = tokio::time::timeout(Duration::from_secs(1000), read)
            .await
            .expect("the idle timeout")
            .unwrap();
        assert_eq!(kind, io::ErrorKind::TimedOut);
        assert_eq!(at - idle, Duration::from_secs(3));
    }
}
