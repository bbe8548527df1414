//! TLS for tokio-postgres with rustls, verifying the server certificate the way libpq's
//! `sslmode` says: not at all (prefer, require), the chain only (verify-ca), or the chain and the
//! host name (verify-full); and presenting a client certificate when one is configured.

use std::fs::File;
use std::io::BufReader;
use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, Result};
use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, Error as TlsError, RootCertStore, SignatureScheme};
use tokio_postgres_rustls::MakeRustlsConnect;

use super::settings::{ClientCert, Verification};
use crate::error::UsageError;

/// The connector for the given verification policy, presenting the client certificate when
/// there is one.
pub(crate) fn connector(verification: &Verification, client: Option<&ClientCert>) -> Result<MakeRustlsConnect> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier: Arc<dyn ServerCertVerifier> = match verification {
        Verification::None => Arc::new(Unverified(provider.signature_verification_algorithms)),
        Verification::Chain(root) => Arc::new(ChainOnly(webpki(root, &provider)?)),
        Verification::Full(root) => webpki(root, &provider)?,
    };
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .context("setting up TLS")?
        .dangerous()
        .with_custom_certificate_verifier(verifier);
    let config = match client {
        None => config.with_no_client_auth(),
        Some(client) => {
            let (certs, key) = client_identity(client)?;
            config.with_client_auth_cert(certs, key).map_err(|e| {
                UsageError::with_hint(
                    format!(
                        "the client certificate {} and key {} do not go together: {e}",
                        client.cert.display(),
                        client.key.display()
                    ),
                    "point sslcert / PGSSLCERT and sslkey / PGSSLKEY at a certificate and its own key",
                )
            })?
        }
    };
    Ok(MakeRustlsConnect::new(config))
}

/// The client's certificate chain and private key, read from their PEM files.
fn client_identity(client: &ClientCert) -> Result<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>)> {
    let unreadable = |what: &str, path: &Path, e: &dyn std::fmt::Display| {
        UsageError::with_hint(
            format!("cannot read the client {what} {}: {e}", path.display()),
            "point sslcert / PGSSLCERT and sslkey / PGSSLKEY at PEM files",
        )
    };
    let file = File::open(&client.cert).map_err(|e| unreadable("certificate", &client.cert, &e))?;
    let certs: Vec<CertificateDer<'static>> = rustls_pemfile::certs(&mut BufReader::new(file))
        .collect::<Result<_, _>>()
        .map_err(|e| unreadable("certificate", &client.cert, &e))?;
    if certs.is_empty() {
        return Err(unreadable("certificate", &client.cert, &"no certificate in the file"));
    }
    let file = File::open(&client.key).map_err(|e| unreadable("key", &client.key, &e))?;
    let key = rustls_pemfile::private_key(&mut BufReader::new(file))
        .map_err(|e| unreadable("key", &client.key, &e))?
        .ok_or_else(|| unreadable("key", &client.key, &"no private key in the file"))?;
    Ok((certs, key))
}

fn webpki(root: &Path, provider: &Arc<CryptoProvider>) -> Result<Arc<WebPkiServerVerifier>> {
    let unreadable = |e: &dyn std::fmt::Display| {
        UsageError::with_hint(
            format!("cannot read the root certificate {}: {e}", root.display()),
            "point PGSSLROOTCERT (or sslrootcert=) at the CA certificate in PEM form",
        )
    };
    let file = File::open(root).map_err(|e| unreadable(&e))?;
    let mut roots = RootCertStore::empty();
    for cert in rustls_pemfile::certs(&mut BufReader::new(file)) {
        roots.add(cert.map_err(|e| unreadable(&e))?).map_err(|e| unreadable(&e))?;
    }
    if roots.is_empty() {
        return Err(unreadable(&"no certificate in the file"));
    }
    WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone()).build().map_err(|e| unreadable(&e))
}

/// libpq's `require`: encrypt, but accept any certificate.
#[derive(Debug)]
struct Unverified(WebPkiSupportedAlgorithms);

impl ServerCertVerifier for Unverified {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, TlsError> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, TlsError> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.0)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, TlsError> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.0)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_schemes()
    }
}

/// libpq's `verify-ca`: the chain must be good, the name on the certificate does not matter.
#[derive(Debug)]
struct ChainOnly(Arc<WebPkiServerVerifier>);

impl ServerCertVerifier for ChainOnly {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, TlsError> {
        match self.0.verify_server_cert(end_entity, intermediates, server_name, ocsp, now) {
            Err(TlsError::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, TlsError> {
        self.0.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, TlsError> {
        self.0.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}
