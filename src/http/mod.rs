//! The HTTP/1.1 client codec, sans-IO.
//!
//! [`RequestWriter`] builds requests in place; the response side reads
//! responses out of a flat buffer. Nothing here reads a socket or a clock.

mod chunked;
mod error;
mod request;
mod response;

pub use chunked::ChunkedDecoder;
pub use error::{RequestError, ResponseError};
pub use request::{
    Body, BodySink, DEFAULT_REQUEST_CAPACITY, Headers, Method, Request, RequestBuilder,
    RequestSigner, RequestWriter, RequestWriterBuilder, SignInput, SignedHeaders, Target,
};
pub use response::{
    DEFAULT_MAX_BODY_SIZE, DEFAULT_MAX_HEAD_SIZE, DEFAULT_MAX_HEADERS, DEFAULT_RESPONSE_BUFFER,
    ResponseReader, ResponseReaderBuilder, RestResponse,
};
