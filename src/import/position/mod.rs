//! Where a row is: its coordinates checked and repaired against the commune polygons
//! ([`coords`], [`shapes`]), its commune, postcode and address derived from what it carries
//! ([`place`]), from the communes it names looked up once ([`resolve`]), and the rows still
//! without a position placed by the geocoders ([`geocoding`]). Every import goes through them,
//! schema files and raw producer files alike.

pub mod compact;
pub(crate) mod coords;
pub(crate) mod geocoding;
pub(crate) mod keys;
pub(crate) mod place;
pub(crate) mod resolve;
pub mod shapes;
