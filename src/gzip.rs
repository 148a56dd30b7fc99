//! Input files that may be gzip-compressed (the shared commune files are `.gz`, their
//! decompressed copies are not): recognised by the gzip magic bytes, not the file name.

use std::io::Read;
use std::path::Path;

/// The bytes of `path`, decompressed when they are gzip.
pub fn read_maybe_gzip(path: &Path) -> std::io::Result<Vec<u8>> {
    let raw = std::fs::read(path)?;
    if !raw.starts_with(&[0x1f, 0x8b]) {
        return Ok(raw);
    }
    let mut out = Vec::with_capacity(raw.len() * 4);
    flate2::read::GzDecoder::new(&raw[..]).read_to_end(&mut out)?;
    Ok(out)
}

/// Decompresses a gzip member into one allocation of its stated size (the trailer's ISIZE,
/// capped at 256 MB): the embedded commune files are decoded at the start of every import, and
/// a buffer grown by doubling touched twice the pages (each a page fault, huge pages being off).
pub fn gunzip_sized(gz: &[u8]) -> std::io::Result<Vec<u8>> {
    let size = gz
        .len()
        .checked_sub(4)
        .and_then(|at| gz.get(at..))
        .and_then(|b| <[u8; 4]>::try_from(b).ok())
        .map_or(0, |b| u32::from_le_bytes(b) as usize);
    // one more byte: `read_to_end` probes for the end of the stream before it stops
    let mut out = Vec::with_capacity(size.min(256 << 20) + 1);
    flate2::read::GzDecoder::new(gz).read_to_end(&mut out)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    #[test]
    fn plain_and_gzip_read_the_same() {
        let dir = std::env::temp_dir().join(format!("lieux-gzip-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let text = b"code_insee;nom\n01001;L'Abergement-Cl\xc3\xa9menciat\n";
        let plain = dir.join("c.csv");
        std::fs::write(&plain, text).expect("write plain");
        let gz = dir.join("c.csv.gz");
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(text).expect("compress");
        std::fs::write(&gz, enc.finish().expect("compress")).expect("write gz");
        assert_eq!(read_maybe_gzip(&plain).expect("plain"), text);
        assert_eq!(read_maybe_gzip(&gz).expect("gz"), text);
        let gz_bytes = std::fs::read(&gz).expect("gz bytes");
        let sized = gunzip_sized(&gz_bytes).expect("gunzip");
        assert_eq!(sized, text);
        assert_eq!(sized.capacity(), text.len() + 1);
        assert!(gunzip_sized(&gz_bytes[..gz_bytes.len() / 2]).is_err());
        // a truncated gzip stream is an error, not a short read
        let mut cut = std::fs::read(&gz).expect("gz bytes");
        cut.truncate(cut.len() / 2);
        std::fs::write(&gz, cut).expect("write cut");
        assert!(read_maybe_gzip(&gz).is_err());
        let _ = std::fs::remove_dir_all(dir);
    }
}
