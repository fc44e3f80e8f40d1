//! The HTTP/1.1 client codec, sans-IO.
//!
//! [`RequestWriter`] builds requests in place; the response side reads
//! responses out of a flat buffer. Nothing here reads a socket or a clock.

mod builder;
mod check;
mod chunked;
mod error;
mod head;
mod head_diff;
mod request;
mod response;
mod scan;
mod sign;

pub use builder::{Body, BodySink, Headers, RequestBuilder, Target};
pub use chunked::ChunkedDecoder;
pub use error::{RequestError, ResponseError};
pub(crate) use head_diff::check_against_httparse;
pub use request::{DEFAULT_REQUEST_CAPACITY, Method, Request, RequestWriter, RequestWriterBuilder};
pub use response::{
    DEFAULT_MAX_BODY_SIZE, DEFAULT_MAX_HEAD_SIZE, DEFAULT_MAX_HEADERS, DEFAULT_RESPONSE_BUFFER,
    ResponseReader, ResponseReaderBuilder, RestResponse,
};
pub use sign::{RequestSigner, SignInput, SignedHeaders};
