//! STUB
#![allow(missing_docs, missing_debug_implementations)]
use super::*;
use crate::buf::WriteBuf;
use crate::rng::{RandomSource, SeededRng};
pub enum MessageKind { Text, Binary }
pub struct FrameWriter<R = SeededRng>(R);
impl<R: RandomSource> FrameWriter<R> { pub fn with_rng(_role: Role, r: R) -> Self { Self(r) } pub fn text(&mut self, _b: &mut WriteBuf, _t: &str) -> Result<(), EncodeError> { Ok(()) } }
