//! STUB
#![allow(missing_docs, missing_debug_implementations)]
use super::*;
use crate::buf::BufferFull;
pub type ReadError = BufferFull;
pub struct FrameReader;
pub struct FrameReaderBuilder;
impl FrameReader { pub fn builder() -> FrameReaderBuilder { FrameReaderBuilder } pub fn read(&mut self, _b: &[u8]) -> Result<(), ReadError> { Ok(()) } pub fn next(&mut self) -> Result<Option<Message<'_>>, ProtocolError> { Ok(None) } }
impl FrameReaderBuilder { pub fn role(self, _r: Role) -> Self { self } pub fn build(self) -> FrameReader { FrameReader } }
