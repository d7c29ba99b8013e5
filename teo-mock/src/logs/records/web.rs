//! What clients ask for: agents, resources with their methods, paths, queries, statuses and bodies, cache statuses, and security hits.

use super::json::*;
use super::random::*;

/// Who sends a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Client {
    Desktop,
    Mobile,
    /// Crawlers.
    Bot,
    /// curl, scripts, HTTP libraries.
    Tool,
    /// Mobile apps calling APIs.
    App,
}

pub(crate) struct Agent {
    pub(crate) ua: &'static str,
    pub(crate) client: Client,
}

pub(crate) const fn agent(client: Client, ua: &'static str) -> Agent {
    Agent { ua, client }
}

/// `RequestUA`: browsers (about 85%), crawlers, tools and apps.
pub(crate) static AGENTS: Weighted<Agent> = Weighted::new(&[
    (220, agent(Client::Desktop, "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36")),
    (60, agent(Client::Desktop, "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.0.0")),
    (60, agent(Client::Desktop, "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Safari/605.1.15")),
    (60, agent(Client::Desktop, "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36")),
    (40, agent(Client::Desktop, "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0")),
    (10, agent(Client::Desktop, "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/123.0.0.0 Safari/537.36")),
    (160, agent(Client::Mobile, "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Mobile/15E148 Safari/604.1")),
    (140, agent(Client::Mobile, "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36")),
    (50, agent(Client::Mobile, "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.49(0x18003133) NetType/WIFI Language/zh_CN")),
    (30, agent(Client::Mobile, "Mozilla/5.0 (Linux; Android 13; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/24.0 Chrome/117.0.0.0 Mobile Safari/537.36")),
    (20, agent(Client::Mobile, "Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1")),
    (30, agent(Client::Bot, "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)")),
    (15, agent(Client::Bot, "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)")),
    (20, agent(Client::Bot, "Mozilla/5.0 (compatible; Baiduspider/2.0; +http://www.baidu.com/search/spider.html)")),
    (5, agent(Client::Bot, "Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)")),
    (5, agent(Client::Bot, "Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)")),
    (15, agent(Client::Tool, "curl/8.5.0")),
    (10, agent(Client::Tool, "python-requests/2.31.0")),
    (10, agent(Client::Tool, "Go-http-client/2.0")),
    (30, agent(Client::App, "okhttp/4.12.0")),
    (10, agent(Client::App, "Dalvik/2.1.0 (Linux; U; Android 12; M2012K11AC Build/SKQ1.211006.001)")),
]);

impl Client {
    pub(crate) fn resources(self) -> &'static Weighted<Resource> {
        match self {
            Client::Desktop | Client::Mobile => &BROWSER_RESOURCES,
            Client::Bot => &BOT_RESOURCES,
            Client::Tool => &TOOL_RESOURCES,
            Client::App => &APP_RESOURCES,
        }
    }

    /// `RequestProtocol`: browsers mostly HTTP/2 and HTTP/3, crawlers and tools HTTP/1.1, a
    /// little HTTP/1.0.
    pub(crate) fn protocols(self) -> &'static Weighted<&'static str> {
        pub(crate) static BROWSER: Weighted<&str> =
            Weighted::new(&[(58, "HTTP/2.0"), (19, "HTTP/3"), (23, "HTTP/1.1")]);
        pub(crate) static BOT: Weighted<&str> =
            Weighted::new(&[(75, "HTTP/1.1"), (22, "HTTP/2.0"), (3, "HTTP/1.0")]);
        pub(crate) static TOOL: Weighted<&str> =
            Weighted::new(&[(70, "HTTP/1.1"), (22, "HTTP/2.0"), (8, "HTTP/1.0")]);
        pub(crate) static APP: Weighted<&str> =
            Weighted::new(&[(70, "HTTP/2.0"), (30, "HTTP/1.1")]);
        match self {
            Client::Desktop | Client::Mobile => &BROWSER,
            Client::Bot => &BOT,
            Client::Tool => &TOOL,
            Client::App => &APP,
        }
    }

    /// Request header bytes (before HTTP/2 compression).
    pub(crate) fn request_headers(self, rng: &mut fastrand::Rng) -> u64 {
        match self {
            Client::Desktop | Client::Mobile => rng.u64(450..1_600),
            Client::Bot => rng.u64(180..400),
            Client::Tool => rng.u64(90..300),
            Client::App => rng.u64(250..900),
        }
    }
}

/// What a request asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Resource {
    Page,
    /// Scripts and style sheets.
    Script,
    Image,
    Font,
    Api,
    Video,
    Download,
    /// favicon.ico, robots.txt, …
    Misc,
    /// Vulnerability scans (`/wp-login.php`, `/.env`).
    Probe,
    WebSocket,
}

pub(crate) static BROWSER_RESOURCES: Weighted<Resource> = Weighted::new(&[
    (120, Resource::Page),
    (240, Resource::Script),
    (260, Resource::Image),
    (30, Resource::Font),
    (200, Resource::Api),
    (50, Resource::Video),
    (8, Resource::Download),
    (50, Resource::Misc),
    (5, Resource::Probe),
    (4, Resource::WebSocket),
]);
pub(crate) static BOT_RESOURCES: Weighted<Resource> = Weighted::new(&[
    (60, Resource::Page),
    (15, Resource::Image),
    (20, Resource::Misc),
    (5, Resource::Script),
]);
pub(crate) static TOOL_RESOURCES: Weighted<Resource> = Weighted::new(&[
    (55, Resource::Api),
    (10, Resource::Page),
    (10, Resource::Download),
    (25, Resource::Probe),
]);
pub(crate) static APP_RESOURCES: Weighted<Resource> = Weighted::new(&[
    (75, Resource::Api),
    (20, Resource::Image),
    (5, Resource::Video),
]);

/// A URL path (or query): `prefix`, then with a suffix a number (1..=max, popular ones
/// first; max 0: the request's unix time) and the suffix.
pub(crate) struct Template {
    pub(crate) prefix: &'static str,
    pub(crate) suffix: Option<&'static str>,
    pub(crate) max: u64,
}

pub(crate) const fn fixed(text: &'static str) -> Template {
    Template {
        prefix: text,
        suffix: None,
        max: 0,
    }
}

pub(crate) const fn numbered(prefix: &'static str, max: u64, suffix: &'static str) -> Template {
    Template {
        prefix,
        suffix: Some(suffix),
        max,
    }
}

impl Template {
    pub(crate) fn number(&self, rng: &mut fastrand::Rng) -> u64 {
        match self.suffix {
            Some(_) if self.max > 1 => zipf(rng, self.max),
            _ => 0,
        }
    }

    pub(crate) fn write(&self, number: u64, out: &mut String) {
        out.push_str(self.prefix);
        if let Some(suffix) = self.suffix {
            push_u64(out, number);
            out.push_str(suffix);
        }
    }

    /// As [`Template::write`], with `now` (unix seconds) for a time-stamped query.
    pub(crate) fn write_query(&self, number: u64, now: i64, out: &mut String) {
        match self.suffix {
            Some(suffix) if self.max == 0 => {
                out.push_str(self.prefix);
                push_i64(out, now);
                out.push_str(suffix);
            }
            _ => self.write(number, out),
        }
    }

    pub(crate) fn is_mp4(&self) -> bool {
        self.prefix.ends_with(".mp4") || self.suffix == Some(".mp4")
    }
}

impl Resource {
    pub(crate) fn methods(self) -> &'static Weighted<&'static str> {
        pub(crate) static CONTENT: Weighted<&str> =
            Weighted::new(&[(96, "GET"), (3, "HEAD"), (1, "OPTIONS")]);
        pub(crate) static API: Weighted<&str> = Weighted::new(&[
            (55, "GET"),
            (32, "POST"),
            (4, "PUT"),
            (2, "DELETE"),
            (6, "OPTIONS"),
            (1, "PATCH"),
        ]);
        pub(crate) static PROBE: Weighted<&str> = Weighted::new(&[(80, "GET"), (20, "POST")]);
        pub(crate) static WEBSOCKET: Weighted<&str> = Weighted::new(&[(1, "GET")]);
        match self {
            Resource::Api => &API,
            Resource::Probe => &PROBE,
            Resource::WebSocket => &WEBSOCKET,
            _ => &CONTENT,
        }
    }

    pub(crate) fn paths(self) -> &'static Weighted<Template> {
        pub(crate) static PAGE: Weighted<Template> = Weighted::new(&[
            (30, fixed("/")),
            (5, fixed("/index.html")),
            (25, numbered("/product/", 5_000, ".html")),
            (15, numbered("/news/2024/", 900, ".html")),
            (8, numbered("/category/", 40, "")),
            (6, fixed("/search")),
            (3, fixed("/about")),
            (5, fixed("/login")),
            (3, fixed("/cart")),
        ]);
        pub(crate) static SCRIPT: Weighted<Template> = Weighted::new(&[
            (20, fixed("/static/js/app.3f9a1c2e.js")),
            (20, fixed("/static/js/chunk-vendors.8b7d6e4a.js")),
            (8, fixed("/static/js/chunk-2d0c1f.81c4a2b9.js")),
            (18, fixed("/static/css/app.5e8b9d1f.css")),
            (8, fixed("/static/css/chunk-vendors.0a7c3e11.css")),
            (10, fixed("/js/jquery-3.7.1.min.js")),
            (8, fixed("/assets/index-B4x9kQ2m.js")),
            (8, fixed("/assets/index-C1vR8pLs.css")),
        ]);
        pub(crate) static IMAGE: Weighted<Template> = Weighted::new(&[
            (15, fixed("/images/logo.png")),
            (8, fixed("/images/banner-2024.webp")),
            (7, fixed("/img/icons/sprite.svg")),
            (40, numbered("/images/products/", 5_000, ".jpg")),
            (20, numbered("/uploads/2024/05/", 3_000, ".png")),
            (10, numbered("/avatar/", 100_000, ".jpg")),
        ]);
        pub(crate) static FONT: Weighted<Template> = Weighted::new(&[
            (5, fixed("/fonts/inter-var.woff2")),
            (3, fixed("/fonts/iconfont.woff2")),
            (2, fixed("/fonts/NotoSansSC-Regular.woff2")),
        ]);
        pub(crate) static API: Weighted<Template> = Weighted::new(&[
            (20, fixed("/api/v1/items")),
            (20, numbered("/api/v1/items/", 5_000, "")),
            (10, fixed("/api/v1/user/profile")),
            (10, fixed("/api/v1/cart")),
            (8, fixed("/api/v2/search")),
            (8, fixed("/graphql")),
            (10, fixed("/api/v1/events")),
            (6, fixed("/api/v1/auth/login")),
            (8, numbered("/api/v1/orders/", 90_000, "")),
        ]);
        pub(crate) static VIDEO: Weighted<Template> = Weighted::new(&[
            (10, numbered("/video/", 300, "/index.m3u8")),
            (50, numbered("/video/hls/seg-", 2_000, ".ts")),
            (15, fixed("/media/intro.mp4")),
            (25, numbered("/media/", 300, ".mp4")),
        ]);
        pub(crate) static DOWNLOAD: Weighted<Template> = Weighted::new(&[
            (30, fixed("/downloads/app-release-3.2.1.apk")),
            (20, fixed("/downloads/setup-2.4.1.exe")),
            (30, numbered("/downloads/docs/manual-", 200, ".pdf")),
            (20, numbered("/dl/pkg-", 500, ".zip")),
        ]);
        pub(crate) static MISC: Weighted<Template> = Weighted::new(&[
            (40, fixed("/favicon.ico")),
            (10, fixed("/robots.txt")),
            (5, fixed("/sitemap.xml")),
            (5, fixed("/manifest.json")),
            (5, fixed("/apple-touch-icon.png")),
        ]);
        pub(crate) static PROBE: Weighted<Template> = Weighted::new(&[
            (20, fixed("/wp-login.php")),
            (20, fixed("/.env")),
            (10, fixed("/xmlrpc.php")),
            (10, fixed("/admin/config.php")),
            (15, fixed("/.git/config")),
            (10, fixed("/phpmyadmin/index.php")),
            (
                10,
                fixed("/vendor/phpunit/phpunit/src/Util/PHP/eval-stdin.php"),
            ),
            (5, fixed("/cgi-bin/luci")),
        ]);
        pub(crate) static WEBSOCKET: Weighted<Template> = Weighted::new(&[
            (5, fixed("/ws")),
            (4, fixed("/socket.io/")),
            (1, fixed("/realtime")),
        ]);
        match self {
            Resource::Page => &PAGE,
            Resource::Script => &SCRIPT,
            Resource::Image => &IMAGE,
            Resource::Font => &FONT,
            Resource::Api => &API,
            Resource::Video => &VIDEO,
            Resource::Download => &DOWNLOAD,
            Resource::Misc => &MISC,
            Resource::Probe => &PROBE,
            Resource::WebSocket => &WEBSOCKET,
        }
    }

    /// `RequestUrlQueryString`: `-` without a query.
    pub(crate) fn queries(self) -> &'static Weighted<Template> {
        pub(crate) static PAGE: Weighted<Template> = Weighted::new(&[
            (70, fixed("-")),
            (
                5,
                fixed("utm_source=google&utm_medium=cpc&utm_campaign=summer"),
            ),
            (4, fixed("from=timeline")),
            (8, numbered("page=", 50, "")),
            (5, numbered("id=", 5_000, "")),
            (3, fixed("lang=en")),
            (5, numbered("spm=a2c4g.11186623.0.0.", 99_999, "")),
        ]);
        pub(crate) static SCRIPT: Weighted<Template> =
            Weighted::new(&[(75, fixed("-")), (25, numbered("v=", 9_999, ""))]);
        pub(crate) static IMAGE: Weighted<Template> = Weighted::new(&[
            (75, fixed("-")),
            (10, fixed("imageMogr2/thumbnail/400x/format/webp")),
            (6, fixed("w=400&q=80")),
            (4, fixed("w=1200&q=80")),
            (5, fixed("imageView2/2/w/640")),
        ]);
        pub(crate) static API: Weighted<Template> = Weighted::new(&[
            (45, fixed("-")),
            (20, numbered("page=", 100, "&size=20")),
            (12, numbered("id=", 100_000, "")),
            (10, numbered("t=", 0, "")),
            (5, numbered("q=phone&page=", 10, "")),
            (8, fixed("fields=id,name,price")),
        ]);
        pub(crate) static VIDEO: Weighted<Template> = Weighted::new(&[
            (60, fixed("-")),
            (20, numbered("t=", 0, "")),
            (10, numbered("start=", 600, "")),
            (10, fixed("quality=720p")),
        ]);
        pub(crate) static RARE: Weighted<Template> =
            Weighted::new(&[(90, fixed("-")), (10, numbered("v=", 99, ""))]);
        pub(crate) static NONE: Weighted<Template> = Weighted::new(&[(1, fixed("-"))]);
        pub(crate) static PROBE: Weighted<Template> =
            Weighted::new(&[(90, fixed("-")), (10, fixed("id=1%27%20OR%20%271%27=%271"))]);
        pub(crate) static WEBSOCKET: Weighted<Template> =
            Weighted::new(&[(60, fixed("EIO=4&transport=websocket")), (40, fixed("-"))]);
        match self {
            Resource::Page => &PAGE,
            Resource::Script => &SCRIPT,
            Resource::Image => &IMAGE,
            Resource::Font | Resource::Download => &RARE,
            Resource::Api => &API,
            Resource::Video => &VIDEO,
            Resource::Misc => &NONE,
            Resource::Probe => &PROBE,
            Resource::WebSocket => &WEBSOCKET,
        }
    }

    /// `EdgeResponseStatusCode` before methods, ranges and security: mostly 200, some 3xx,
    /// 4xx, and a little 499 and 5xx.
    pub(crate) fn statuses(self) -> &'static Weighted<u64> {
        pub(crate) static CONTENT: Weighted<u64> = Weighted::new(&[
            (900, 200),
            (55, 304),
            (14, 404),
            (3, 301),
            (3, 302),
            (3, 403),
            (5, 499),
            (1, 500),
            (3, 502),
            (1, 503),
            (2, 504),
        ]);
        pub(crate) static PAGE: Weighted<u64> = Weighted::new(&[
            (860, 200),
            (25, 301),
            (30, 302),
            (30, 304),
            (20, 404),
            (4, 403),
            (8, 499),
            (5, 500),
            (8, 502),
            (3, 503),
            (4, 504),
        ]);
        pub(crate) static API: Weighted<u64> = Weighted::new(&[
            (860, 200),
            (20, 204),
            (22, 400),
            (25, 401),
            (6, 403),
            (18, 404),
            (6, 429),
            (8, 499),
            (10, 500),
            (10, 502),
            (5, 503),
            (5, 504),
        ]);
        pub(crate) static MEDIA: Weighted<u64> = Weighted::new(&[
            (930, 200),
            (20, 304),
            (10, 404),
            (5, 403),
            (25, 499),
            (6, 502),
            (4, 504),
        ]);
        pub(crate) static MISC: Weighted<u64> =
            Weighted::new(&[(780, 200), (100, 304), (110, 404), (10, 301)]);
        pub(crate) static PROBE: Weighted<u64> =
            Weighted::new(&[(800, 404), (120, 403), (20, 301), (40, 200), (20, 500)]);
        pub(crate) static WEBSOCKET: Weighted<u64> =
            Weighted::new(&[(930, 101), (20, 400), (10, 403), (20, 502), (20, 504)]);
        match self {
            Resource::Page => &PAGE,
            Resource::Api => &API,
            Resource::Video | Resource::Download => &MEDIA,
            Resource::Misc => &MISC,
            Resource::Probe => &PROBE,
            Resource::WebSocket => &WEBSOCKET,
            Resource::Script | Resource::Image | Resource::Font => &CONTENT,
        }
    }

    /// The size of a full (200) response body.
    pub(crate) fn body(self, rng: &mut fastrand::Rng, path: &Template) -> u64 {
        let size = match self {
            Resource::Page => log_normal(rng, 28_000.0, 0.7),
            Resource::Script => log_normal(rng, 45_000.0, 1.2).min(3e6),
            Resource::Image => log_normal(rng, 35_000.0, 1.3).min(8e6),
            Resource::Font => 20_000.0 + rng.f64() * 160_000.0,
            Resource::Api => log_normal(rng, 1_200.0, 1.3).min(2e6),
            Resource::Video if path.suffix == Some("/index.m3u8") => 300.0 + rng.f64() * 1_700.0,
            Resource::Video if path.suffix == Some(".ts") => 400_000.0 + rng.f64() * 2.1e6,
            Resource::Video => log_uniform(rng, 2e6, 9e7),
            Resource::Download => log_normal(rng, 5e6, 1.2).min(5e8),
            Resource::Misc => 60.0 + rng.f64() * 15_000.0,
            Resource::Probe => 150.0 + rng.f64() * 3_000.0,
            Resource::WebSocket => log_normal(rng, 20_000.0, 1.5),
        };
        size as u64
    }
}

/// `EdgeCacheStatus` of cacheable content that was found (200).
pub(crate) static STATIC_CACHE: Weighted<&str> =
    Weighted::new(&[(84, "HIT"), (10, "MISS"), (4, "EXPIRED"), (2, "STALE")]);
pub(crate) static PAGE_CACHE: Weighted<&str> = Weighted::new(&[
    (50, "HIT"),
    (22, "MISS"),
    (20, "Dynamic"),
    (6, "EXPIRED"),
    (2, "STALE"),
]);
/// `RequestStatus` of WebSocket records: mostly logged while still open.
pub(crate) static WEBSOCKET_STATUS: Weighted<u64> = Weighted::new(&[(60, 0), (30, 1), (10, 2)]);

/// A security rule that acted on a request.
pub(crate) struct SecurityHit {
    pub(crate) module: &'static str,
    pub(crate) action: &'static str,
    pub(crate) note: &'static str,
    /// Tells the rule apart within the zone.
    pub(crate) rule: u64,
}

pub(crate) const fn hit(
    module: &'static str,
    action: &'static str,
    note: &'static str,
    rule: u64,
) -> SecurityHit {
    SecurityHit {
        module,
        action,
        note,
        rule,
    }
}

impl SecurityHit {
    /// `SecurityRuleID`: a 10-digit number, stable per zone and rule.
    pub(crate) fn rule_id(&self, zone_seed: u64) -> u64 {
        let mixed = (zone_seed ^ self.rule.wrapping_mul(0x9e37_79b9_7f4a_7c15)).rotate_left(17);
        1_000_000_000 + mixed % 9_000_000_000
    }
}

/// `SecurityAction`/`Module`/`UserNote` of flagged requests; notes are the rule owner's.
pub(crate) static SECURITY: Weighted<SecurityHit> = Weighted::new(&[
    (8, hit("CustomRule", "Deny", "block admin paths", 1)),
    (6, hit("CustomRule", "BlockIP", "banned ip list", 2)),
    (6, hit("CustomRule", "Allow", "office whitelist", 3)),
    (4, hit("CustomRule", "Redirect", "geo redirect", 4)),
    (
        3,
        hit("CustomRule", "ReturnCustomPage", "maintenance page", 5),
    ),
    (6, hit("CustomRule", "Monitor", "watch login", 6)),
    (14, hit("ManagedRule", "Monitor", "-", 7)),
    (8, hit("ManagedRule", "Deny", "-", 8)),
    (6, hit("RateLimitingRule", "Deny", "api 100 req/10s", 9)),
    (
        5,
        hit("RateLimitingRule", "JSChallenge", "burst protection", 10),
    ),
    (6, hit("RateLimitingRule", "Monitor", "api 100 req/10s", 9)),
    (10, hit("BotManagement", "JSChallenge", "-", 11)),
    (6, hit("BotManagement", "ManagedChallenge", "-", 12)),
    (8, hit("BotManagement", "Monitor", "-", 13)),
    (4, hit("BotManagement", "Deny", "拦截恶意爬虫", 14)),
]);
pub(crate) static PROBE_SECURITY: Weighted<SecurityHit> = Weighted::new(&[
    (60, hit("ManagedRule", "Deny", "-", 8)),
    (25, hit("ManagedRule", "Monitor", "-", 7)),
    (15, hit("CustomRule", "Deny", "block admin paths", 1)),
]);
