//! The signing hook: what a [`RequestSigner`] sees of a finished request
//! and where it writes the headers it computes, inside the writer's buffer.

#![forbid(unsafe_code)]

use super::check::check_header;
use super::error::RequestError;
use super::request::Method;

/// What a [`RequestSigner`] sees: the request's final bytes, before it is
/// sealed.
#[derive(Debug, Clone, Copy)]
pub struct SignInput<'a> {
    /// The method.
    pub method: Method,
    /// The request target as written: path and query, percent-encoded.
    pub target: &'a [u8],
    /// The query string without its `?` (empty when there is none).
    pub query: &'a [u8],
    /// The body (empty when there is none).
    pub body: &'a [u8],
}

/// Where a [`RequestSigner`] writes the headers it computes (a signature,
/// a timestamp), straight into the writer's buffer.
#[derive(Debug)]
pub struct SignedHeaders<'a> {
    pub(super) spare: &'a mut [u8],
    pub(super) written: usize,
}

impl SignedHeaders<'_> {
    /// Adds `name: value` to the request.
    pub fn header(&mut self, name: &str, value: &[u8]) -> Result<(), RequestError> {
        check_header(name, value)?;
        let needed = name.len() + value.len() + 4;
        let Some(dst) = self.spare.get_mut(self.written..self.written + needed) else {
            return Err(RequestError::BufferFull {
                needed: self.written + needed,
                capacity: self.spare.len(),
            });
        };
        let (n, rest) = dst.split_at_mut(name.len());
        n.copy_from_slice(name.as_bytes());
        rest[..2].copy_from_slice(b": ");
        rest[2..2 + value.len()].copy_from_slice(value);
        rest[2 + value.len()..].copy_from_slice(b"\r\n");
        self.written += needed;
        Ok(())
    }
}

/// A hook that computes headers from a request's final target and body,
/// run inside `finish()` before the request is sealed: an exchange's HMAC
/// signature, for instance. No second buffer is involved.
///
/// Any `FnMut(&SignInput, &mut SignedHeaders) -> Result<(), RequestError>`
/// that is `Send` is a signer.
pub trait RequestSigner: Send {
    /// Adds headers computed from `input`.
    fn sign(
        &mut self,
        input: &SignInput<'_>,
        headers: &mut SignedHeaders<'_>,
    ) -> Result<(), RequestError>;
}

impl<F> RequestSigner for F
where
    F: FnMut(&SignInput<'_>, &mut SignedHeaders<'_>) -> Result<(), RequestError> + Send,
{
    fn sign(
        &mut self,
        input: &SignInput<'_>,
        headers: &mut SignedHeaders<'_>,
    ) -> Result<(), RequestError> {
        self(input, headers)
    }
}
