//! Optional TLS (`--tls-cert`, `--tls-key`): a PEM certificate chain and
//! its private key, served with rustls (ring), HTTP/1.1 only.

use std::path::Path;
use std::sync::Arc;

use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::crypto::ring;
use tokio_rustls::rustls::pki_types::pem::{self, PemObject};
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// The acceptor for the certificate chain in `cert` and the key in `key`.
pub fn acceptor(cert: &Path, key: &Path) -> Result<TlsAcceptor, String> {
    let certs = CertificateDer::pem_file_iter(cert)
        .and_then(|items| items.collect::<Result<Vec<_>, _>>())
        .map_err(|e| pem_error(e, cert, "certificate"))?;
    if certs.is_empty() {
        return Err(pem_error(pem::Error::NoItemsFound, cert, "certificate"));
    }
    let key_der =
        PrivateKeyDer::from_pem_file(key).map_err(|e| pem_error(e, key, "private key"))?;
    let mut config = ServerConfig::builder_with_provider(Arc::new(ring::default_provider()))
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("cannot set up TLS: {e}"))?
        .with_no_client_auth()
        .with_single_cert(certs, key_der)
        .map_err(|e| {
            format!(
                "the TLS certificate {} and key {} cannot be used together: {e}",
                cert.display(),
                key.display()
            )
        })?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
}

fn pem_error(e: pem::Error, path: &Path, what: &str) -> String {
    match e {
        pem::Error::Io(e) => format!("cannot read the TLS {what} file {}: {e}", path.display()),
        pem::Error::NoItemsFound => {
            format!("the TLS {what} file {} holds no PEM {what}", path.display())
        }
        other => format!(
            "the TLS {what} file {} is not valid PEM: {other}",
            path.display()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unreadable_and_invalid_files_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing.pem");
        let e = acceptor(&missing, &missing).err().unwrap();
        assert!(e.starts_with("cannot read the TLS certificate file"), "{e}");
        let junk = dir.path().join("junk.pem");
        std::fs::write(&junk, "not a certificate\n").unwrap();
        let e = acceptor(&junk, &junk).err().unwrap();
        assert!(e.contains("holds no PEM certificate"), "{e}");
    }
}
