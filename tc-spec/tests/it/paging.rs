//! Which actions of the real teo spec page, what the overrides file changes, and how a broken
//! overrides file is reported.

use std::path::Path;

use tc_spec::paging::Paging;
use tc_spec::{Service, SpecError};

fn read(relative: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

fn teo(overrides: Option<&str>) -> Result<Service, SpecError> {
    let texts = tc_spec::model::OverrideTexts {
        paging: overrides,
        retry: None,
        mainland: None,
        waiters: None,
    };
    Service::from_json_with(&read("../api-spec/teo/v20220901/api.json"), &texts)
}

fn paged(service: &Service) -> Vec<(&str, &Paging)> {
    service
        .actions
        .values()
        .filter_map(|a| Some((a.name.as_str(), a.paging.as_ref()?)))
        .collect()
}

#[test]
fn teo_paginators_with_their_overrides() {
    let overrides = read("../api-spec/teo/v20220901/paging.json");
    let service = teo(Some(&overrides)).expect("teo resolves with its overrides");
    let paged = paged(&service);
    let listing: Vec<String> = paged
        .iter()
        .map(|(name, p)| {
            format!(
                "{name}: items {}, total {}, max {}{}",
                p.items.wire_name,
                p.total.as_ref().map_or("-", |t| t.wire_name.as_str()),
                p.max_page_size.map_or("-".into(), |m| m.to_string()),
                if p.overridden { " (overridden)" } else { "" }
            )
        })
        .collect();
    println!("{}", listing.join("\n"));
    assert_eq!(paged.len(), 46);
    // Every action of the spec documents its largest page in one of the known phrasings.
    assert!(paged.iter().all(|(_, p)| p.max_page_size.is_some()));
    let find = |name: &str| {
        paged
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, p)| *p)
            .unwrap_or_else(|| panic!("{name} pages"))
    };
    let l4 = find("DownloadL4Logs");
    assert_eq!(l4.items.wire_name, "Data");
    assert_eq!(
        l4.total.as_ref().map(|t| t.wire_name.as_str()),
        Some("TotalCount")
    );
    assert_eq!(l4.max_page_size, Some(300));
    assert_eq!(find("DownloadL7Logs").max_page_size, Some(300));
    assert_eq!(find("DescribeCustomErrorPages").max_page_size, Some(1000)); // "1,000"
    assert_eq!(find("DescribeOriginGroup").max_page_size, Some(1000)); // "Value range: 1-1000"
    assert_eq!(find("DescribeSharedCNAME").max_page_size, Some(200)); // "Upper limit: 200"

    let overridden: Vec<(&str, Option<&str>)> = paged
        .iter()
        .filter(|(_, p)| p.overridden)
        .map(|(n, p)| (*n, p.total.as_ref().map(|t| t.wire_name.as_str())))
        .collect();
    assert_eq!(
        overridden,
        [
            ("DescribeHostsSetting", Some("TotalNumber")),
            ("DescribeOriginProtection", None),
            ("DescribeSecurityIPGroupContent", Some("IPTotalCount")),
        ]
    );
}

#[test]
fn without_overrides_the_rule_misses_two_totals() {
    let service = teo(None).expect("teo resolves");
    let paged = paged(&service);
    assert_eq!(paged.len(), 46);
    let without_total: Vec<&str> = paged
        .iter()
        .filter(|(_, p)| p.total.is_none())
        .map(|(n, _)| *n)
        .collect();
    assert_eq!(
        without_total,
        [
            "DescribeHostsSetting",
            "DescribeOriginProtection",
            "DescribeSecurityIPGroupContent"
        ]
    );
}

#[test]
fn paginate_false_removes_a_paginator() {
    let service = teo(Some(
        r#"{"actions": {"DescribeZones": {"reason": "test", "paginate": false}}}"#,
    ))
    .expect("resolves");
    assert_eq!(paged(&service).len(), 45);
    assert!(service.actions["DescribeZones"].paging.is_none());
}

#[test]
fn broken_overrides_name_the_entry() {
    let overrides = r#"{"actions": {
        "DescribeNothing": {"reason": "no such action"},
        "DescribeZones": {"reason": "wrong total", "total": "Zones"},
        "DownloadL4Logs": {"reason": "wrong items", "items": "TotalCount"},
        "CreateZone": {"reason": "does not page"}
    }}"#;
    let error = teo(Some(overrides)).expect_err("overrides are wrong");
    let message = error.to_string();
    for expected in [
        "paging.json: actions.DescribeNothing: no such action in the spec",
        "paging.json: actions.DescribeZones.total: DescribeZonesResponse has no integer member \"Zones\"",
        "paging.json: actions.DownloadL4Logs.items: DownloadL4LogsResponse has no list member \"TotalCount\"",
        "paging.json: actions.CreateZone: the request has no integer Offset and Limit members",
    ] {
        assert!(message.contains(expected), "{expected:?} not in:\n{message}");
    }

    let error = teo(Some(r#"{"actions": {"DescribeZones": {"total": null}}}"#))
        .expect_err("an entry without a reason is refused");
    assert!(
        error.to_string().contains("missing field `reason`"),
        "{error}"
    );
    let error = teo(Some(
        r#"{"actions": {"DescribeZones": {"reason": "x", "totl": null}}}"#,
    ))
    .expect_err("a misspelt member is refused");
    assert!(
        error.to_string().contains("unknown field `totl`"),
        "{error}"
    );
}
