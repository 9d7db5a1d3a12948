//! Reading back an Arrow IPC stream this process wrote (spilled rows, runs
//! of flags) without checking its values again.
//!
//! Arrow's `StreamDecoder` takes a flag to skip validation but, in the
//! version we build with, does not pass it on to the batches it decodes:
//! every string's UTF-8 and every offset was checked again (1.5 % of a
//! dense scan's CPU time). The stream's framing is simple (a length, a
//! message, its body), so this reads it with Arrow's own decoders for each
//! message, given the flag.

use std::collections::HashMap;
use std::io;
use std::sync::Arc;

use arrow::array::{ArrayRef, RecordBatch};
use arrow::buffer::Buffer;
use arrow::datatypes::SchemaRef;
use arrow::ipc::convert::try_fb_to_schema;
use arrow::ipc::reader::{RecordBatchDecoder, read_dictionary_impl};
use arrow::ipc::{MessageHeader, root_as_message};
use arrow_data::UnsafeFlag;

/// The batches of the IPC stream in `bytes`, their buffers slices of it.
///
/// # Safety
///
/// `bytes` must be a stream this process encoded from valid arrays (and
/// kept where nothing else could change it): its values are not checked.
pub unsafe fn decode_own_stream(mut bytes: Buffer) -> io::Result<Vec<RecordBatch>> {
    let mut unchecked = UnsafeFlag::new();
    // SAFETY: the caller vouches for the values (see above).
    unsafe { unchecked.set(true) };
    let mut schema: Option<SchemaRef> = None;
    let mut dictionaries: HashMap<i64, ArrayRef> = HashMap::new();
    let mut batches = Vec::new();
    loop {
        let mut length = take_u32(&mut bytes)?;
        if length == u32::MAX {
            length = take_u32(&mut bytes)?;
        }
        if length == 0 {
            return Ok(batches);
        }
        let metadata = take(&mut bytes, length as usize)?;
        let message = root_as_message(&metadata).map_err(|e| broken(&e.to_string()))?;
        let body = take(&mut bytes, message.bodyLength() as usize)?;
        let version = message.version();
        match message.header_type() {
            MessageHeader::Schema => {
                let fb = message
                    .header_as_schema()
                    .ok_or_else(|| broken("a schema message without its schema"))?;
                schema = Some(Arc::new(try_fb_to_schema(fb).map_err(io::Error::other)?));
            }
            MessageHeader::DictionaryBatch => {
                let fb = message
                    .header_as_dictionary_batch()
                    .ok_or_else(|| broken("a dictionary message without its batch"))?;
                let schema = schema.as_ref().ok_or_else(|| broken("no schema"))?;
                read_dictionary_impl(
                    &body,
                    fb,
                    schema,
                    &mut dictionaries,
                    &version,
                    false,
                    unchecked.clone(),
                )
                .map_err(io::Error::other)?;
            }
            MessageHeader::RecordBatch => {
                let fb = message
                    .header_as_record_batch()
                    .ok_or_else(|| broken("a batch message without its batch"))?;
                let schema = schema.clone().ok_or_else(|| broken("no schema"))?;
                let batch = RecordBatchDecoder::try_new(&body, fb, schema, &dictionaries, &version)
                    .map_err(io::Error::other)?
                    .with_require_alignment(false)
                    .with_skip_validation(unchecked.clone())
                    .read_record_batch()
                    .map_err(io::Error::other)?;
                batches.push(batch);
            }
            _ => return Err(broken("a message this process does not write")),
        }
    }
}

fn take_u32(bytes: &mut Buffer) -> io::Result<u32> {
    let word = take(bytes, 4)?;
    Ok(u32::from_le_bytes(
        word.as_slice().try_into().expect("four bytes"),
    ))
}

/// The next `len` bytes of `bytes`, without copying them.
fn take(bytes: &mut Buffer, len: usize) -> io::Result<Buffer> {
    if bytes.len() < len {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "a spilled stream ends early",
        ));
    }
    let taken = bytes.slice_with_length(0, len);
    bytes.advance(len);
    Ok(taken)
}

fn broken(what: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("a spilled stream is damaged: {what}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{DictionaryArray, Int32Array, StringArray};
    use arrow::datatypes::Int16Type;
    use arrow::ipc::writer::{IpcWriteOptions, StreamWriter};

    fn sample(offset: i32) -> RecordBatch {
        let texts: DictionaryArray<Int16Type> = vec![Some("a"), None, Some("b"), Some("a")]
            .into_iter()
            .collect();
        RecordBatch::try_from_iter([
            (
                "n",
                Arc::new(Int32Array::from(vec![
                    offset,
                    offset + 1,
                    offset + 2,
                    offset + 3,
                ])) as ArrayRef,
            ),
            (
                "s",
                Arc::new(StringArray::from(vec![
                    Some("甲"),
                    None,
                    Some(""),
                    Some("xyz"),
                ])),
            ),
            ("e", Arc::new(texts)),
        ])
        .unwrap()
    }

    fn encoded(batches: &[RecordBatch], options: IpcWriteOptions) -> Vec<u8> {
        let mut writer =
            StreamWriter::try_new_with_options(Vec::new(), &batches[0].schema(), options).unwrap();
        for batch in batches {
            writer.write(batch).unwrap();
        }
        writer.finish().unwrap();
        writer.into_inner().unwrap()
    }

    #[test]
    fn reads_back_what_was_written_plain_and_compressed() {
        let batches = vec![sample(0), sample(10), sample(20).slice(1, 2)];
        let compressed = IpcWriteOptions::default()
            .try_with_compression(Some(arrow::ipc::CompressionType::LZ4_FRAME))
            .unwrap();
        for options in [IpcWriteOptions::default(), compressed] {
            let bytes = encoded(&batches, options);
            // SAFETY: encoded just above from valid arrays.
            let read = unsafe { decode_own_stream(Buffer::from_vec(bytes)) }.unwrap();
            assert_eq!(read, batches);
        }
    }

    #[test]
    fn a_stream_cut_short_is_an_error_not_a_panic() {
        let bytes = encoded(&[sample(0)], IpcWriteOptions::default());
        for cut in [0, 3, 7, 20, bytes.len() / 2, bytes.len() - 9] {
            let short = Buffer::from_vec(bytes[..cut].to_vec());
            // SAFETY: a prefix of a valid stream; the framing is what fails.
            let read = unsafe { decode_own_stream(short) };
            assert!(read.is_err(), "cut at {cut} read as {read:?}");
        }
    }
}
