//! Where clients come from: countries or regions with their networks, ISPs and provinces, and the edge sites of each area.

use super::json::*;
use super::random::*;

/// A client address of `network`: IPv4, or IPv6 for a share of clients (about 25% in
/// mainland China, 12% elsewhere).
pub(crate) fn push_client_ip(out: &mut String, rng: &mut fastrand::Rng, network: &Network) {
    if rng.u16(..1000) < network.v6_per_mille {
        push_group(out, network.v6[rng.usize(..network.v6.len())]);
        for _ in 0..7 {
            out.push(':');
            push_group(out, rng.u16(..));
        }
    } else {
        push_u64(out, u64::from(network.v4[rng.usize(..network.v4.len())]));
        for last in [false, false, true] {
            out.push('.');
            push_u64(
                out,
                u64::from(if last { rng.u8(1..255) } else { rng.u8(..) }),
            );
        }
    }
}

/// Where clients come from: a country or region (ISO 3166-1 alpha-2) and its ISPs.
pub(crate) struct Network {
    pub(crate) region: &'static str,
    /// `ClientISP`: the ISP's Chinese name in mainland China, else AS numbers (as documented).
    pub(crate) isps: &'static [&'static str],
    /// First octets of its IPv4 addresses, first groups of its IPv6 ones.
    pub(crate) v4: &'static [u8],
    pub(crate) v6: &'static [u16],
    pub(crate) v6_per_mille: u16,
}

pub(crate) const fn network(
    region: &'static str,
    isps: &'static [&'static str],
    v4: &'static [u8],
    v6: &'static [u16],
) -> Network {
    let cn = region.len() == 2 && region.as_bytes()[0] == b'C' && region.as_bytes()[1] == b'N';
    Network {
        region,
        isps,
        v4,
        v6,
        v6_per_mille: if cn { 250 } else { 120 },
    }
}

pub(crate) const CN_TELECOM: Network = network(
    "CN",
    &["中国电信"],
    &[
        14, 27, 58, 59, 60, 61, 101, 106, 113, 115, 116, 117, 118, 121, 125, 171, 180, 182, 183,
        218, 219, 220, 222,
    ],
    &[0x240e],
);
pub(crate) const CN_UNICOM: Network = network(
    "CN",
    &["中国联通"],
    &[27, 42, 60, 61, 110, 112, 113, 123, 124, 175, 202, 210, 221],
    &[0x2408],
);
pub(crate) const CN_MOBILE: Network = network(
    "CN",
    &["中国移动"],
    &[36, 39, 111, 112, 117, 120, 183, 223],
    &[0x2409],
);
pub(crate) const CN_EDU: Network = network(
    "CN",
    &["教育网"],
    &[58, 59, 202, 210, 211, 219, 222],
    &[0x2001],
);
pub(crate) const HK: Network = network(
    "HK",
    &["4760", "9269", "9304"],
    &[14, 42, 58, 112, 113, 118, 203, 218],
    &[0x2404, 0x2400],
);
pub(crate) const TW: Network = network(
    "TW",
    &["3462", "4780", "9924"],
    &[1, 36, 59, 61, 101, 111, 114, 118, 220],
    &[0x2001],
);
pub(crate) const US: Network = network(
    "US",
    &["7922", "701", "7018", "20115", "22773", "21928"],
    &[
        24, 50, 67, 68, 71, 73, 75, 76, 96, 98, 99, 104, 107, 172, 174,
    ],
    &[0x2600, 0x2601, 0x2603, 0x2607],
);
pub(crate) const JP: Network = network(
    "JP",
    &["2516", "4713", "17676"],
    &[60, 106, 114, 118, 126, 133, 153, 180, 219],
    &[0x240b, 0x2400, 0x2001],
);
pub(crate) const SG: Network = network(
    "SG",
    &["7473", "9506", "4773"],
    &[8, 42, 101, 116, 118, 119, 175, 203],
    &[0x2406, 0x2400],
);
pub(crate) const KR: Network = network(
    "KR",
    &["4766", "9318", "3786"],
    &[1, 14, 39, 58, 112, 121, 175, 211, 220],
    &[0x2001, 0x2406],
);
pub(crate) const IN: Network = network(
    "IN",
    &["55836", "24560", "9829"],
    &[49, 103, 106, 117, 122, 157, 182, 223],
    &[0x2401, 0x2405, 0x2409],
);
pub(crate) const BR: Network = network(
    "BR",
    &["28573", "18881", "26599"],
    &[177, 179, 186, 187, 189, 191, 200, 201],
    &[0x2804, 0x2801],
);
pub(crate) const ID: Network = network(
    "ID",
    &["7713", "23693", "24203"],
    &[36, 103, 110, 112, 114, 180, 182, 202],
    &[0x2001, 0x2404],
);
pub(crate) const DE: Network = network(
    "DE",
    &["3320", "3209", "6805"],
    &[31, 37, 46, 77, 79, 84, 87, 91, 93],
    &[0x2003, 0x2a02, 0x2a01],
);
pub(crate) const GB: Network = network(
    "GB",
    &["2856", "5089", "5607"],
    &[2, 5, 31, 51, 81, 82, 86, 90, 92],
    &[0x2a00, 0x2a02, 0x2a01],
);
pub(crate) const VN: Network = network(
    "VN",
    &["7552", "45899", "18403"],
    &[1, 14, 27, 42, 113, 115, 116, 171],
    &[0x2402, 0x2405],
);
pub(crate) const PH: Network = network(
    "PH",
    &["9299", "132199"],
    &[49, 110, 112, 120, 122, 124, 136, 180],
    &[0x2001, 0x2400],
);
pub(crate) const TH: Network = network(
    "TH",
    &["23969", "7470", "131445"],
    &[1, 49, 58, 110, 124, 171, 182, 184],
    &[0x2405, 0x2001],
);
pub(crate) const FR: Network = network(
    "FR",
    &["3215", "12322", "5410"],
    &[2, 37, 78, 80, 82, 86, 90, 92],
    &[0x2a01, 0x2a02],
);
pub(crate) const CA: Network = network(
    "CA",
    &["812", "577", "852"],
    &[24, 70, 99, 142, 174, 184, 206],
    &[0x2607, 0x2605],
);
pub(crate) const MX: Network = network(
    "MX",
    &["8151", "13999"],
    &[148, 177, 187, 189, 201],
    &[0x2806],
);
pub(crate) const AU: Network = network(
    "AU",
    &["1221", "4804", "7545"],
    &[1, 49, 58, 101, 110, 120, 124, 203],
    &[0x2001, 0x2403],
);
pub(crate) const RU: Network = network(
    "RU",
    &["12389", "8359", "31213"],
    &[5, 31, 46, 77, 78, 85, 91, 95, 178],
    &[0x2a00, 0x2a02],
);
pub(crate) const TR: Network = network(
    "TR",
    &["9121", "16135"],
    &[78, 85, 88, 176, 178, 188, 212],
    &[0x2a02, 0x2a00],
);
pub(crate) const NL: Network = network(
    "NL",
    &["1136", "33915"],
    &[31, 77, 80, 82, 84, 86, 145, 217],
    &[0x2a02, 0x2001],
);
pub(crate) const MY: Network = network(
    "MY",
    &["4788", "9534"],
    &[1, 14, 42, 60, 113, 115, 175, 202],
    &[0x2001, 0x2402],
);
pub(crate) const ES: Network = network(
    "ES",
    &["3352", "12479"],
    &[2, 37, 79, 80, 83, 88, 90, 95],
    &[0x2a0c, 0x2a02],
);
pub(crate) const IT: Network = network(
    "IT",
    &["3269", "30722"],
    &[2, 5, 37, 79, 87, 93, 151],
    &[0x2a01, 0x2001],
);

/// Clients of mainland-area zones: about 93% in mainland China.
pub(crate) static MAINLAND_NETWORKS: Weighted<Network> = Weighted::new(&[
    (400, CN_TELECOM),
    (240, CN_UNICOM),
    (260, CN_MOBILE),
    (12, CN_EDU),
    (20, HK),
    (8, TW),
    (18, US),
    (10, JP),
    (10, SG),
    (7, KR),
]);

/// Clients of overseas-area zones: the world, a fifth in the US, 3% in mainland China.
pub(crate) static OVERSEAS_NETWORKS: Weighted<Network> = Weighted::new(&[
    (200, US),
    (70, IN),
    (55, BR),
    (55, ID),
    (50, JP),
    (45, DE),
    (45, GB),
    (35, VN),
    (30, PH),
    (30, TH),
    (30, FR),
    (25, KR),
    (25, CA),
    (25, MX),
    (20, AU),
    (20, SG),
    (20, RU),
    (15, TR),
    (15, NL),
    (25, HK),
    (20, TW),
    (15, MY),
    (15, ES),
    (15, IT),
    (16, CN_TELECOM),
    (8, CN_UNICOM),
    (8, CN_MOBILE),
]);

/// `ClientState` of clients in mainland China: ISO 3166-2 codes, weighted by traffic.
pub(crate) static CN_STATES: Weighted<&str> = Weighted::new(&[
    (140, "CN-GD"),
    (80, "CN-JS"),
    (80, "CN-ZJ"),
    (70, "CN-SD"),
    (60, "CN-HA"),
    (60, "CN-SC"),
    (50, "CN-HB"),
    (50, "CN-HN"),
    (50, "CN-HE"),
    (45, "CN-FJ"),
    (50, "CN-BJ"),
    (50, "CN-SH"),
    (40, "CN-AH"),
    (35, "CN-SN"),
    (35, "CN-LN"),
    (35, "CN-CQ"),
    (35, "CN-GX"),
    (30, "CN-YN"),
    (30, "CN-JX"),
    (25, "CN-SX"),
    (20, "CN-TJ"),
    (25, "CN-GZ"),
    (20, "CN-HL"),
    (18, "CN-JL"),
    (15, "CN-NM"),
    (15, "CN-XJ"),
    (15, "CN-GS"),
    (10, "CN-HI"),
    (5, "CN-NX"),
    (4, "CN-QH"),
    (2, "CN-XZ"),
]);

/// Edge sites: name (for `EdgeServerID`) and the first two octets of their IPs.
pub(crate) const MAINLAND_SITES: &[(&str, [u8; 2])] = &[
    ("cn-gd-gz", [183, 60]),
    ("cn-sh", [101, 226]),
    ("cn-bj", [123, 125]),
    ("cn-js-nj", [180, 97]),
    ("cn-sc-cd", [171, 214]),
    ("cn-hb-wh", [111, 47]),
    ("cn-zj-hz", [115, 238]),
    ("cn-sn-xa", [113, 141]),
];
pub(crate) const OVERSEAS_SITES: &[(&str, [u8; 2])] = &[
    ("sg", [43, 152]),
    ("jp-tyo", [43, 153]),
    ("hk", [43, 154]),
    ("us-sjc", [43, 130]),
    ("us-iad", [43, 166]),
    ("de-fra", [43, 157]),
    ("br-gru", [43, 159]),
    ("in-bom", [43, 175]),
    ("kr-sel", [43, 155]),
    ("id-cgk", [43, 156]),
];
