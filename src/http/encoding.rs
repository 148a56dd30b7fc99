//! Content-Encoding negotiation and incremental compression, so streamed bodies are compressed
//! chunk by chunk without ever holding the whole body.

use std::io::Write;

/// A negotiated content coding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Coding {
    Identity,
    Gzip,
    Brotli,
    Zstd,
}

impl Coding {
    /// Picks from an `Accept-Encoding` header: zstd, brotli or gzip by the client's q-values
    /// (ties prefer zstd, then brotli: zstd compresses JSON as well as brotli's levels fast
    /// enough for streaming, several times faster); `identity` otherwise. `*` stands for zstd.
    pub fn negotiate(accept: Option<&str>) -> Coding {
        let Some(accept) = accept else {
            return Coding::Identity;
        };
        let mut best = (Coding::Identity, 0.0f32);
        for part in accept.split(',') {
            let mut it = part.split(';');
            let name = it.next().unwrap_or("").trim().to_ascii_lowercase();
            let q = it
                .find_map(|p| {
                    let p = p.trim();
                    p.strip_prefix("q=")
                        .or_else(|| p.strip_prefix("Q="))
                        .and_then(|v| v.trim().parse::<f32>().ok())
                })
                .unwrap_or(1.0);
            let coding = match name.as_str() {
                "zstd" | "*" => Coding::Zstd,
                "br" => Coding::Brotli,
                "gzip" | "x-gzip" => Coding::Gzip,
                _ => continue,
            };
            let better = q > best.1 || (q == best.1 && coding.rank() > best.0.rank());
            if q > 0.0 && better {
                best = (coding, q);
            }
        }
        best.0
    }

    /// Preference among codings the client weighs the same.
    fn rank(self) -> u8 {
        match self {
            Coding::Identity => 0,
            Coding::Gzip => 1,
            Coding::Brotli => 2,
            Coding::Zstd => 3,
        }
    }

    /// The `Content-Encoding` header value, if any.
    pub fn header(self) -> Option<&'static str> {
        match self {
            Coding::Identity => None,
            Coding::Gzip => Some("gzip"),
            Coding::Brotli => Some("br"),
            Coding::Zstd => Some("zstd"),
        }
    }
}

/// zstd level of every body (chosen with the others in [`Encoder::new`]).
const ZSTD_LEVEL: i32 = 3;

/// An incremental encoder: write chunks, take what is ready, finish at the end.
pub enum Encoder {
    Identity(Vec<u8>),
    /// Boxed: zlib-rs's encoder state is 256 bytes inline.
    Gzip(Box<flate2::write::GzEncoder<Vec<u8>>>),
    Brotli(Box<brotli::CompressorWriter<Vec<u8>>>),
    /// `None` only if zstd could not allocate its context (then the body is empty).
    Zstd(Option<Box<zstd::stream::write::Encoder<'static, Vec<u8>>>>),
}

impl Encoder {
    pub fn new(coding: Coding) -> Encoder {
        match coding {
            Coding::Identity => Encoder::Identity(Vec::new()),
            // Levels chosen by `examples/coding_speed.rs` on the embedded list's /v1/lieux (2.6 MB,
            // 64 KiB chunks flushed as streamed), MB of JSON per CPU second on a loaded 2-core
            // EPYC; issue 19 asks ≥ 250 for the whole stream, serialisation included (~1 000
            // MB/s at 1 M places, `benches/stream.sh`), so the coder needs ≥ ~350. gzip 2 (zlib-rs)
            // 406 (ratio 7.6; level 3 368 at 8.2, level 5 249 at 8.8); brotli 1 464 (7.6:
            // quality 2 240 at 9.2, 3 226 at 9.4 — too slow to keep up); zstd 3 716 (9.5).
            Coding::Gzip => Encoder::Gzip(Box::new(flate2::write::GzEncoder::new(
                Vec::new(),
                flate2::Compression::new(2),
            ))),
            Coding::Brotli => Encoder::Brotli(Box::new(brotli::CompressorWriter::new(
                Vec::new(),
                16 * 1024,
                1,
                22,
            ))),
            Coding::Zstd => Encoder::Zstd(
                zstd::stream::write::Encoder::new(Vec::new(), ZSTD_LEVEL)
                    .ok()
                    .map(Box::new),
            ),
        }
    }

    /// Feeds a chunk. The identity coding keeps the chunk itself (no copy of the body: the
    /// profile of large bbox answers showed the copy); writing into a `Vec` cannot fail.
    pub fn write(&mut self, data: Vec<u8>) {
        let _ = match self {
            Encoder::Identity(v) if v.is_empty() => {
                *v = data;
                Ok(())
            }
            Encoder::Identity(v) => {
                v.extend_from_slice(&data);
                Ok(())
            }
            Encoder::Gzip(e) => e.write_all(&data),
            Encoder::Brotli(e) => e.write_all(&data),
            Encoder::Zstd(Some(e)) => e.write_all(&data),
            Encoder::Zstd(None) => Ok(()),
        };
    }

    /// Output produced so far (after a flush, so the client can decode it).
    pub fn take(&mut self) -> Vec<u8> {
        match self {
            Encoder::Identity(v) => std::mem::take(v),
            Encoder::Gzip(e) => {
                let _ = e.flush();
                std::mem::take(e.get_mut())
            }
            Encoder::Brotli(e) => {
                let _ = e.flush();
                std::mem::take(e.get_mut())
            }
            Encoder::Zstd(Some(e)) => {
                let _ = e.flush();
                std::mem::take(e.get_mut())
            }
            Encoder::Zstd(None) => Vec::new(),
        }
    }

    /// The remaining output, ending the stream.
    pub fn finish(self) -> Vec<u8> {
        match self {
            Encoder::Identity(v) => v,
            Encoder::Gzip(e) => e.finish().unwrap_or_default(),
            Encoder::Brotli(e) => e.into_inner(),
            Encoder::Zstd(e) => e.and_then(|e| e.finish().ok()).unwrap_or_default(),
        }
    }

    /// Encodes a whole body at once.
    pub fn encode_all(coding: Coding, data: Vec<u8>) -> Vec<u8> {
        if coding == Coding::Identity {
            return data;
        }
        let mut e = Encoder::new(coding);
        e.write(data);
        e.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negotiation() {
        assert_eq!(Coding::negotiate(None), Coding::Identity);
        assert_eq!(Coding::negotiate(Some("gzip, deflate, br")), Coding::Brotli);
        assert_eq!(Coding::negotiate(Some("gzip")), Coding::Gzip);
        assert_eq!(
            Coding::negotiate(Some("br;q=0.5, gzip;q=0.8")),
            Coding::Gzip
        );
        assert_eq!(
            Coding::negotiate(Some("br;q=0, gzip;q=0")),
            Coding::Identity
        );
        assert_eq!(Coding::negotiate(Some("identity")), Coding::Identity);
        // what Chromium sends since version 123
        assert_eq!(
            Coding::negotiate(Some("gzip, deflate, br, zstd")),
            Coding::Zstd
        );
        assert_eq!(Coding::negotiate(Some("zstd;q=0.5, br")), Coding::Brotli);
        assert_eq!(Coding::negotiate(Some("zstd;q=0, gzip")), Coding::Gzip);
        assert_eq!(Coding::negotiate(Some("ZSTD;Q=1")), Coding::Zstd);
        assert_eq!(Coding::negotiate(Some("*;q=0.1, gzip;q=0.2")), Coding::Gzip);
    }

    #[test]
    fn streamed_gzip_decodes() {
        use std::io::Read;
        let mut e = Encoder::new(Coding::Gzip);
        let mut out = Vec::new();
        for i in 0..100 {
            e.write(format!("chunk {i};").into_bytes());
            out.extend(e.take());
        }
        out.extend(e.finish());
        let mut s = String::new();
        flate2::read::GzDecoder::new(&out[..])
            .read_to_string(&mut s)
            .expect("gzip");
        assert!(s.starts_with("chunk 0;") && s.ends_with("chunk 99;"));
    }
}
