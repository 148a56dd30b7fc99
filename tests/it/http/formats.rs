//! Part of [`super`] (http.rs): its helpers and imports are used through `super::*`.

use super::*;

#[tokio::test]
async fn fgb_ranges_etag_and_headers() {
    let st = state();
    let ds = st.dataset();
    let full = get(&st, "/v1/lieux.fgb").await;
    assert_eq!(full.status, 200);
    assert_eq!(full.header("content-type"), Some("application/flatgeobuf"));
    assert_eq!(full.header("accept-ranges"), Some("bytes"));
    let expose = full.header("access-control-expose-headers").unwrap_or("");
    for h in ["Content-Range", "Accept-Ranges", "ETag"] {
        assert!(expose.contains(h), "{expose}");
    }
    // FlatGeobuf 3.0.x magic bytes
    assert_eq!(&full.body[..8], b"fgb\x03fgb\x00");
    let len = full.body.len();
    let tag = full.header("etag").expect("etag").to_owned();
    assert!(tag.contains(ds.version()), "{tag}");

    // the header says: a packed R-tree (node size 16), one feature per positioned place
    let mut cursor = std::io::Cursor::new(&full.body[..]);
    let reader = flatgeobuf::FgbReader::open(&mut cursor).expect("FlatGeobuf");
    let header = reader.header();
    assert_eq!(header.index_node_size(), 16);
    assert_eq!(header.features_count() as usize, ds.positioned());
    assert_eq!(header.columns().map(|c| c.len()), Some(32));

    let r = get_with(&st, "/v1/lieux.fgb", &[("range", "bytes=0-7")]).await;
    assert_eq!(r.status, 206);
    assert_eq!(r.body, b"fgb\x03fgb\x00");
    assert_eq!(
        r.header("content-range"),
        Some(format!("bytes 0-7/{len}").as_str())
    );
    // ranges are never compressed, even when the client accepts it
    let r = get_with(
        &st,
        "/v1/lieux.fgb",
        &[("range", "bytes=100-"), ("accept-encoding", "gzip, br")],
    )
    .await;
    assert_eq!(r.status, 206);
    assert_eq!(r.header("content-encoding"), None);
    assert_eq!(r.body, full.body[100..]);
    let r = get_with(&st, "/v1/lieux.fgb", &[("range", "bytes=-10")]).await;
    assert_eq!(r.body, full.body[len - 10..]);
    let r = get_with(&st, "/v1/lieux.fgb", &[("range", &format!("bytes={len}-"))]).await;
    assert_eq!(r.status, 416);
    assert_eq!(
        r.header("content-range"),
        Some(format!("bytes */{len}").as_str())
    );
    // If-Range with a stale tag: the whole file
    let r = get_with(
        &st,
        "/v1/lieux.fgb",
        &[("range", "bytes=0-7"), ("if-range", "\"old\"")],
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body.len(), len);
    let r = get_with(&st, "/v1/lieux.fgb", &[("if-none-match", &tag)]).await;
    assert_eq!(r.status, 304);
    // a whole download may be compressed
    let r = get_with(&st, "/v1/lieux.fgb", &[("accept-encoding", "gzip")]).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-encoding"), Some("gzip"));
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(&r.body[..])
        .read_to_end(&mut out)
        .expect("gzip");
    assert_eq!(out, full.body);
    assert_bad_param(&get(&st, "/v1/lieux.fgb?bbox=1,2,3,4").await, "bbox");
}

#[tokio::test]
async fn ogc_api_features_documents_and_paging() {
    let st = state();
    let ds = st.dataset();
    let host = [("host", "example.org:8080")];
    let r = get_with(&st, "/", &host).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("application/json"));
    let v = r.json();
    let rels: Vec<&str> = v["links"]
        .as_array()
        .expect("links")
        .iter()
        .filter_map(|l| l["rel"].as_str())
        .collect();
    for rel in ["self", "service-desc", "conformance", "data"] {
        assert!(rels.contains(&rel), "{rels:?}");
    }
    assert_eq!(v["links"][0]["href"], "http://example.org:8080/");
    let v = get(&st, "/conformance").await.json();
    assert!(
        v["conformsTo"]
            .as_array()
            .expect("conformsTo")
            .iter()
            .any(|c| c.as_str().is_some_and(|c| c.ends_with("/conf/geojson")))
    );
    let v = get(&st, "/collections").await.json();
    assert_eq!(v["collections"][0]["id"], "lieux");
    let v = get(&st, "/collections/lieux").await.json();
    assert_eq!(v["itemType"], "feature");
    assert_eq!(get(&st, "/collections/nope").await.status, 404);
    assert_eq!(get(&st, "/collections/nope/items").await.status, 404);

    // default page of 10, then walk the next links to the end
    let r = get_with(&st, "/collections/lieux/items", &host).await;
    assert_eq!(r.header("content-type"), Some("application/geo+json"));
    let v = r.json();
    assert_eq!(v["numberReturned"], 10);
    assert_eq!(v["numberMatched"], ds.lieux().len());
    assert!(v["timeStamp"].as_str().is_some());
    let q = "bbox=-5,42,8,51&frais_a_charge=Gratuit";
    let want = metropole_ids(&ds, ("frais_a_charge", "Gratuit"));
    let mut got = Vec::new();
    let mut path = format!("/collections/lieux/items?{q}&limit=100");
    let mut pages = 0;
    loop {
        let v = get_with(&st, &path, &host).await.json();
        assert_eq!(v["numberMatched"], want.len());
        got.extend(
            features(&v)
                .iter()
                .map(|f| f["id"].as_str().expect("id").to_owned()),
        );
        pages += 1;
        let links = v["links"].as_array().expect("links");
        if pages > 1 {
            assert!(links.iter().any(|l| l["rel"] == "prev"), "{links:?}");
        }
        let Some(next) = links.iter().find(|l| l["rel"] == "next") else {
            break;
        };
        let href = next["href"].as_str().expect("href");
        path = href
            .strip_prefix("http://example.org:8080")
            .expect("absolute link from Host")
            .to_owned();
    }
    assert!(pages > 2, "{pages} pages");
    assert_eq!(got, want);

    let id = &ds.lieu(0).id;
    let r = get(&st, &format!("/collections/lieux/items/{id}")).await;
    assert_eq!(r.status, 200);
    let v = r.json();
    assert_eq!(v["type"], "Feature");
    assert_eq!(v["id"], id.as_str());
    assert!(v["links"].as_array().is_some_and(|l| l.len() == 2));
    assert_eq!(get(&st, "/collections/lieux/items/nope").await.status, 404);
    assert_bad_param(&get(&st, "/collections/lieux/items?limit=0").await, "limit");
    assert_bad_param(
        &get(&st, "/collections/lieux/items?limit=10001").await,
        "limit",
    );
    assert_bad_param(&get(&st, "/collections/lieux/items?bbox=1,2").await, "bbox");
    assert_bad_param(
        &get(&st, "/collections/lieux/items?datetime=2020-01-01").await,
        "datetime",
    );
    assert_bad_param(&get(&st, "/conformance?x=1").await, "x");
}

#[tokio::test]
async fn openapi_documents_every_endpoint() {
    let st = state();
    let r = get(&st, "/openapi.json").await;
    assert_eq!(r.status, 200);
    let v = r.json();
    assert_eq!(v["openapi"], "3.1.0");
    let paths = v["paths"].as_object().expect("paths");
    for p in [
        "/",
        "/conformance",
        "/collections",
        "/collections/{collectionId}",
        "/collections/{collectionId}/items",
        "/collections/{collectionId}/items/{featureId}",
        "/v1/lieux",
        "/v1/lieux/nearest",
        "/v1/lieux/{id}",
        "/v1/lieux.csv",
        "/v1/lieux.fgb",
        "/health",
        "/openapi.json",
    ] {
        assert!(paths.contains_key(p), "{p} undocumented");
        // and it is served (no 404 "no such endpoint")
        let concrete = p
            .replace("{collectionId}", "lieux")
            .replace("{featureId}", &st.dataset().lieu(0).id)
            .replace("{id}", &st.dataset().lieu(0).id);
        let concrete = if p == "/v1/lieux/nearest" {
            format!("{concrete}?lat=47&lon=2")
        } else {
            concrete
        };
        assert_eq!(get(&st, &concrete).await.status, 200, "{concrete}");
    }
    let nearest = &paths["/v1/lieux/nearest"]["get"]["parameters"];
    let services = nearest
        .as_array()
        .expect("parameters")
        .iter()
        .find(|p| p["name"] == "services")
        .expect("services documented");
    assert_eq!(
        services["schema"]["items"]["enum"].as_array().map(Vec::len),
        Some(lieux::model::Service::ALL.len())
    );
    let k = nearest
        .as_array()
        .expect("parameters")
        .iter()
        .find(|p| p["name"] == "k")
        .expect("k documented");
    assert_eq!(k["schema"]["maximum"], lieux::http::MAX_K);
    // every filter parameter is documented on /v1/lieux
    let list: Vec<&str> = paths["/v1/lieux"]["get"]["parameters"]
        .as_array()
        .expect("parameters")
        .iter()
        .filter_map(|p| p["name"].as_str())
        .collect();
    for f in lieux::filter::PARAMETERS {
        assert!(list.contains(f), "{f} undocumented");
    }
}

/// Over real TCP (hyper's framing, not warp's test client): an answer that fits one stream
/// chunk is sent whole with its Content-Length, a longer one is chunked; both bodies are the
/// complete FeatureCollection, and the small one is the same features as the large one holds.
#[test]
fn small_answers_have_a_length_long_ones_are_chunked() {
    use crate::util::{Server, request};
    let server = Server::start(AppState::new(Dataset::embedded().expect("embedded")));
    let (status, headers, small) = request(&server, "GET", "/v1/lieux?limit=3", &[], b"");
    assert_eq!(status, 200);
    assert_eq!(
        headers.get("content-length").map(String::as_str),
        Some(small.len().to_string().as_str()),
        "{headers:?}"
    );
    assert!(!headers.contains_key("transfer-encoding"), "{headers:?}");
    let (status, headers, all) = request(&server, "GET", "/v1/lieux", &[], b"");
    assert_eq!(status, 200);
    assert_eq!(
        headers.get("transfer-encoding").map(String::as_str),
        Some("chunked"),
        "{headers:?}"
    );
    assert!(!headers.contains_key("content-length"), "{headers:?}");
    let (small, all): (Value, Value) = (
        serde_json::from_slice(&small).expect("small answer is JSON"),
        serde_json::from_slice(&all).expect("long answer is JSON"),
    );
    let features = all["features"].as_array().expect("features");
    assert!(features.len() > 2000, "{}", features.len());
    assert_eq!(small["features"].as_array().map(Vec::len), Some(3));
    for i in 0..3 {
        assert_eq!(small["features"][i], features[i]);
    }
    assert_eq!(small["numberMatched"], all["numberMatched"]);
}
