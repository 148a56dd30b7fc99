//! Content-Encoding negotiation and incremental compression, so streamed bodies are compressed
//! chunk by chunk without ever holding the whole body.

use std::io::Write;

/// A negotiated content coding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Coding {
    Identity,
    Gzip,
    Brotli,
}

impl Coding {
    /// Picks from an `Accept-Encoding` header: brotli, then gzip, by the client's q-values
    /// (ties prefer brotli, the smaller); `identity` otherwise.
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
                    p.trim()
                        .strip_prefix("q=")
                        .and_then(|v| v.trim().parse::<f32>().ok())
                })
                .unwrap_or(1.0);
            let coding = match name.as_str() {
                "br" => Coding::Brotli,
                "gzip" | "x-gzip" => Coding::Gzip,
                _ => continue,
            };
            let better = q > best.1 || (q == best.1 && q > 0.0 && coding == Coding::Brotli);
            if q > 0.0 && better {
                best = (coding, q);
            }
        }
        best.0
    }

    /// The `Content-Encoding` header value, if any.
    pub fn header(self) -> Option<&'static str> {
        match self {
            Coding::Identity => None,
            Coding::Gzip => Some("gzip"),
            Coding::Brotli => Some("br"),
        }
    }
}

/// An incremental encoder: write chunks, take what is ready, finish at the end.
pub enum Encoder {
    Identity(Vec<u8>),
    Gzip(flate2::write::GzEncoder<Vec<u8>>),
    Brotli(Box<brotli::CompressorWriter<Vec<u8>>>),
}

impl Encoder {
    pub fn new(coding: Coding) -> Encoder {
        match coding {
            Coding::Identity => Encoder::Identity(Vec::new()),
            // level 5: most of level 9's ratio on JSON at a third of the cost
            Coding::Gzip => Encoder::Gzip(flate2::write::GzEncoder::new(
                Vec::new(),
                flate2::Compression::new(5),
            )),
            // quality 4, 4 MiB window: fast enough for per-request use
            Coding::Brotli => Encoder::Brotli(Box::new(brotli::CompressorWriter::new(
                Vec::new(),
                16 * 1024,
                4,
                22,
            ))),
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
        }
    }

    /// The remaining output, ending the stream.
    pub fn finish(self) -> Vec<u8> {
        match self {
            Encoder::Identity(v) => v,
            Encoder::Gzip(e) => e.finish().unwrap_or_default(),
            Encoder::Brotli(e) => e.into_inner(),
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
