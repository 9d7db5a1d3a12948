//! The accept loop: one task per connection (TLS first when set up), at
//! most `--max-connections` at once, each watched for its header and idle
//! timeouts; on the stop signal no more connections are accepted, those
//! open finish the request in flight and close, and whatever is still open
//! after `--shutdown-timeout` is closed.

use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::response::Response;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::{Service, service_fn};
use hyper_util::rt::TokioIo;
use hyper_util::server::graceful::{GracefulShutdown, Watcher};
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;

use super::watchdog::{Activity, Watched};

/// How connections are taken and let go (`serve` flags).
#[derive(Clone)]
pub struct Transport {
    /// `--header-timeout`; also bounds the TLS handshake.
    pub header_timeout: Duration,
    /// `--idle-timeout`: a kept-alive connection with no request since its reply.
    pub idle_timeout: Duration,
    /// `--shutdown-timeout`: how long requests in flight may finish.
    pub shutdown_timeout: Duration,
    /// `--max-connections`: more wait in the kernel's queue.
    pub max_connections: usize,
    pub tls: Option<TlsAcceptor>,
}

impl Default for Transport {
    fn default() -> Transport {
        Transport {
            header_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            shutdown_timeout: Duration::from_secs(20),
            max_connections: 512,
            tls: None,
        }
    }
}

/// Serves `app` on `listener` until `stop` resolves, then stops as the
/// module says.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    transport: Transport,
    stop: impl Future<Output = ()>,
) {
    let permits = Arc::new(Semaphore::new(transport.max_connections.max(1)));
    let graceful = GracefulShutdown::new();
    let mut connections = JoinSet::new();
    let transport = Arc::new(transport);
    tokio::pin!(stop);
    loop {
        while connections.try_join_next().is_some() {}
        let permit = tokio::select! {
            _ = &mut stop => break,
            permit = permits.clone().acquire_owned() => permit.expect("the semaphore stays open"),
        };
        let stream = tokio::select! {
            _ = &mut stop => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    // Out of file descriptors and the like: wait, then go on.
                    tracing::warn!("cannot accept a connection: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
        };
        let _ = stream.set_nodelay(true);
        connections.spawn(connection(
            stream,
            app.clone(),
            transport.clone(),
            graceful.watcher(),
            permit,
        ));
    }
    drop(listener);
    let timeout = transport.shutdown_timeout;
    if tokio::time::timeout(timeout, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!(
            "closing the connections still open after the shutdown timeout ({} s)",
            timeout.as_secs_f64()
        );
    }
    connections.shutdown().await;
}

async fn connection(
    stream: tokio::net::TcpStream,
    app: Router,
    transport: Arc<Transport>,
    watcher: Watcher,
    _permit: OwnedSemaphorePermit,
) {
    let Some(acceptor) = &transport.tls else {
        return http(stream, app, &transport, watcher).await;
    };
    match tokio::time::timeout(transport.header_timeout, acceptor.accept(stream)).await {
        Ok(Ok(stream)) => http(stream, app, &transport, watcher).await,
        Ok(Err(e)) => tracing::debug!("a TLS handshake failed: {e}"),
        Err(_) => tracing::debug!("a TLS handshake passed the header timeout"),
    }
}

async fn http<S>(stream: S, app: Router, transport: &Transport, watcher: Watcher)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let activity = Activity::new(transport.header_timeout, transport.idle_timeout);
    let io = TokioIo::new(Watched::new(stream, activity.clone()));
    let app = TowerToHyperService::new(app);
    let service = service_fn(move |request: hyper::Request<Incoming>| {
        let busy = activity.busy();
        let reply = app.call(request);
        async move {
            let reply: Result<Response<Body>, Infallible> = reply.await;
            drop(busy);
            reply
        }
    });
    let mut builder = http1::Builder::new();
    // The watchdog keeps the header timeout; hyper's would also cut idle
    // keep-alive connections at the same time.
    builder.header_read_timeout(None);
    let connection = builder.serve_connection(io, service);
    if let Err(e) = watcher.watch(connection).await {
        tracing::debug!("a connection ended: {e}");
    }
}
