//! The global options of `teo`: one table, read by the tccli grammar of `teo <Action>`
//! ([`crate::args`]), by `teo help`, and — as clap arguments built from the same table — by
//! `teo logs …`, so a global option is defined, parsed and documented in one place.

use std::fmt;
use std::time::Duration;

use clap::{Arg, ArgAction, ArgMatches, Args, Command, FromArgMatches};
use teo_client::Language;

/// A global option: its name, the placeholder of its value (empty for a flag), its help, and
/// whether every command takes it (`teo logs` too) or only `teo <Action>`.
pub(crate) struct GlobalOption {
    pub name: &'static str,
    pub value: &'static str,
    pub help: &'static str,
    pub scope: Scope,
}

/// Where a global option applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scope {
    /// Every command that calls the API: `teo <Action>` and `teo logs …`. Stored in
    /// [`GlobalOptions`].
    Call,
    /// Only the tccli grammar of `teo <Action>`.
    Action,
}

/// Every option that is not an action's parameter, in the order `teo help` lists them.
pub(crate) const GLOBAL_OPTIONS: &[GlobalOption] = &[
    GlobalOption {
        name: "--cli-input-json",
        value: "<JSON | file://path>",
        help: "The whole request as JSON, inline or read from a file; --<Param> options override its members",
        scope: Scope::Action,
    },
    GlobalOption {
        name: "--generate-cli-skeleton",
        value: "",
        help: "Print a JSON template of the action's request (for --cli-input-json) and exit",
        scope: Scope::Action,
    },
    GlobalOption {
        name: "--endpoint",
        value: "<URL>",
        help: "Where requests go (default https://teo.intl.tencentcloudapi.com); a bare host means https://host",
        scope: Scope::Call,
    },
    GlobalOption {
        name: "--region",
        value: "<REGION>",
        help: "Sent as X-TC-Region; EdgeOne is global and needs none",
        scope: Scope::Call,
    },
    GlobalOption {
        name: "--language",
        value: "<en-US | zh-CN>",
        help: "Language of error messages (default en-US)",
        scope: Scope::Call,
    },
    GlobalOption {
        name: "--secretId",
        value: "<ID>",
        help: "SecretId to sign with (with --secretKey); else $TENCENTCLOUD_SECRET_ID, else the profile",
        scope: Scope::Call,
    },
    GlobalOption {
        name: "--secretKey",
        value: "<KEY>",
        help: "SecretKey to sign with (with --secretId); else $TENCENTCLOUD_SECRET_KEY, else the profile",
        scope: Scope::Call,
    },
    GlobalOption {
        name: "--token",
        value: "<TOKEN>",
        help: "Session token of temporary credentials given with --secretId/--secretKey",
        scope: Scope::Call,
    },
    GlobalOption {
        name: "--profile",
        value: "<NAME>",
        help: "tccli profile (~/.tccli/<NAME>.configure/.credential; else $TCCLI_PROFILE, else default), then ~/.tencentcloud/credentials",
        scope: Scope::Call,
    },
    GlobalOption {
        name: "--timeout",
        value: "<SECONDS>",
        help: "Limit on the whole call (default 60)",
        scope: Scope::Call,
    },
    GlobalOption {
        name: "--role-arn",
        value: "<ARN>",
        help: "Assume this CAM role (with --role-session-name) through STS, signing that call with the other credentials",
        scope: Scope::Call,
    },
    GlobalOption {
        name: "--role-session-name",
        value: "<NAME>",
        help: "The session name of --role-arn",
        scope: Scope::Call,
    },
    GlobalOption {
        name: "--use-cvm-role",
        value: "",
        help: "Sign with the credentials of the CVM instance's role (from the metadata service)",
        scope: Scope::Call,
    },
    GlobalOption {
        name: "--https-proxy",
        value: "<URL>",
        help: "Send every request through this HTTP(S) proxy",
        scope: Scope::Call,
    },
    GlobalOption {
        name: "--request-client",
        value: "<NAME>",
        help: "Appended to the X-TC-RequestClient header, to tell your tool's calls apart ([0-9a-zA-Z-_,.], at most 128)",
        scope: Scope::Call,
    },
    GlobalOption {
        name: "--warning",
        value: "",
        help: "Print warnings (retried attempts, their errors) to stderr",
        scope: Scope::Call,
    },
    GlobalOption {
        name: "--version",
        value: "<API_VERSION>",
        help: "The API version to call (only 2022-09-01); alone, `teo --version` prints teo's version",
        scope: Scope::Action,
    },
    GlobalOption {
        name: "--output",
        value: "<json | table | text>",
        help: "How the response is printed (default json)",
        scope: Scope::Action,
    },
    GlobalOption {
        name: "--filter",
        value: "<JMESPATH>",
        help: "Print only what this JMESPath expression selects from the response, e.g. Zones[0].ZoneId",
        scope: Scope::Action,
    },
    GlobalOption {
        name: "--waiter",
        value: "<JSON>",
        help: "Call again until a JMESPath `expr` gives `to`: '{\"expr\": \"Tasks[0].Status\", \"to\": \"success\", \"timeout\": 180, \"interval\": 5}'",
        scope: Scope::Action,
    },
    GlobalOption {
        name: "--cli-unfold-argument",
        value: "",
        help: "Nested parameters as dotted options: --Filters.0.Name zone-name --Filters.0.Values.0 example.com",
        scope: Scope::Action,
    },
    GlobalOption {
        name: "--all-pages",
        value: "",
        help: "For an Offset/Limit action: fetch every page and print them merged as one response",
        scope: Scope::Action,
    },
    GlobalOption {
        name: "--dry-run",
        value: "",
        help: "Print the request that would be sent (method, URL, headers with secrets redacted, body) and send nothing; \
               it is signed with placeholder credentials, so none are fetched (no STS, no metadata service). \
               --dry-run=signed signs with yours, fetching them as a call would",
        scope: Scope::Action,
    },
    GlobalOption {
        name: "--detail",
        value: "",
        help: "With help: also describe the members of nested objects",
        scope: Scope::Action,
    },
    GlobalOption {
        name: "--help",
        value: "",
        help: "Show help: the actions, or with an action its parameters (same as `teo <Action> help`)",
        scope: Scope::Action,
    },
];

/// The options that apply to every call.
#[derive(Clone, Default, PartialEq)]
pub(crate) struct GlobalOptions {
    pub endpoint: Option<String>,
    pub region: Option<String>,
    pub language: Option<Language>,
    pub secret_id: Option<String>,
    pub secret_key: Option<String>,
    pub token: Option<String>,
    pub profile: Option<String>,
    pub timeout: Option<Duration>,
    pub role_arn: Option<String>,
    pub role_session_name: Option<String>,
    pub use_cvm_role: bool,
    pub https_proxy: Option<String>,
    pub request_client: Option<String>,
    pub warning: bool,
}

/// Whether `name` (without `--`) is an option that takes no value.
pub(crate) fn is_flag(name: &str) -> bool {
    GLOBAL_OPTIONS
        .iter()
        .any(|o| o.value.is_empty() && &o.name[2..] == name)
}

/// Shows which secrets are set, never their values.
impl fmt::Debug for GlobalOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let redacted = |value: &Option<String>| value.as_ref().map(|_| "<redacted>");
        f.debug_struct("GlobalOptions")
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field("language", &self.language)
            .field("secret_id", &self.secret_id)
            .field("secret_key", &redacted(&self.secret_key))
            .field("token", &redacted(&self.token))
            .field("profile", &self.profile)
            .field("timeout", &self.timeout)
            .field("role_arn", &self.role_arn)
            .field("role_session_name", &self.role_session_name)
            .field("use_cvm_role", &self.use_cvm_role)
            // A proxy URL may carry a password.
            .field("https_proxy", &redacted(&self.https_proxy))
            .field("request_client", &self.request_client)
            .field("warning", &self.warning)
            .finish()
    }
}

impl GlobalOptions {
    /// Sets the option `name` (without `--`) from its text. `Ok(Some(value))` gives the value
    /// back when `name` is no [`Scope::Call`] option (an action parameter, say); an invalid
    /// value is `Err((expected, reason))`.
    pub(crate) fn set(
        &mut self,
        name: &str,
        value: String,
    ) -> Result<Option<String>, (&'static str, String)> {
        match name {
            "endpoint" => self.endpoint = Some(value),
            "region" => self.region = Some(value),
            "language" => {
                self.language = Some(language(&value).map_err(|r| ("en-US or zh-CN", r))?)
            }
            "secretId" => self.secret_id = Some(value),
            "secretKey" => self.secret_key = Some(value),
            "token" => self.token = Some(value),
            "profile" => self.profile = Some(value),
            "timeout" => self.timeout = Some(timeout(&value).map_err(|r| ("seconds", r))?),
            "role-arn" => self.role_arn = Some(value),
            "role-session-name" => self.role_session_name = Some(value),
            "https-proxy" => self.https_proxy = Some(value),
            "request-client" => {
                self.request_client = Some(
                    request_client(&value)
                        .map_err(|r| ("[0-9a-zA-Z-_,.], at most 128 characters", r))?,
                )
            }
            _ => return Ok(Some(value)),
        }
        Ok(None)
    }

    /// Sets the flag `name` (without `--`); false when it is no [`Scope::Call`] flag.
    pub(crate) fn set_flag(&mut self, name: &str) -> bool {
        match name {
            "use-cvm-role" => self.use_cvm_role = true,
            "warning" => self.warning = true,
            _ => return false,
        }
        true
    }
}

/// `--request-client`: what tccli allows, `^[0-9a-zA-Z-_,.]+$`, at most 128 characters.
pub(crate) fn request_client(text: &str) -> Result<String, String> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || "-_,.".contains(c);
    if text.is_empty() || text.len() > 128 || !text.chars().all(allowed) {
        return Err(format!("{text:?} is not a request client name"));
    }
    Ok(text.to_owned())
}

/// `--language`: en-US or zh-CN, in any case, `_` for `-`.
pub(crate) fn language(text: &str) -> Result<Language, String> {
    match text.to_ascii_lowercase().replace('_', "-").as_str() {
        "en-us" => Ok(Language::EnUs),
        "zh-cn" => Ok(Language::ZhCn),
        _ => Err(format!("{text:?} is not a supported language")),
    }
}

/// `--timeout`: a positive number of seconds.
pub(crate) fn timeout(text: &str) -> Result<Duration, String> {
    let seconds: f64 = text
        .trim()
        .parse()
        .map_err(|_| format!("{text:?} is not a number"))?;
    if !(seconds.is_finite() && seconds > 0.0 && seconds <= 1e9) {
        return Err(format!("{text} is not a positive number of seconds"));
    }
    Ok(Duration::from_secs_f64(seconds))
}

/// The clap id of an option: its name without `--`.
fn id(option: &GlobalOption) -> &'static str {
    option.name.trim_start_matches('-')
}

/// The [`Scope::Call`] options as clap arguments (for `teo logs`), from the table.
impl Args for GlobalOptions {
    fn augment_args(command: Command) -> Command {
        let command = command.next_help_heading("Connection options");
        GLOBAL_OPTIONS
            .iter()
            .filter(|option| option.scope == Scope::Call)
            .fold(command, |command, option| {
                let arg = Arg::new(id(option)).long(id(option)).help(option.help);
                if option.value.is_empty() {
                    return command.arg(arg.action(ArgAction::SetTrue));
                }
                let placeholder = option.value.trim_start_matches('<').trim_end_matches('>');
                command.arg(arg.value_name(placeholder).action(ArgAction::Set))
            })
    }

    fn augment_args_for_update(command: Command) -> Command {
        GlobalOptions::augment_args(command)
    }
}

impl FromArgMatches for GlobalOptions {
    fn from_arg_matches(matches: &ArgMatches) -> Result<Self, clap::Error> {
        let mut options = GlobalOptions::default();
        options.update_from_arg_matches(matches)?;
        Ok(options)
    }

    fn update_from_arg_matches(&mut self, matches: &ArgMatches) -> Result<(), clap::Error> {
        for option in GLOBAL_OPTIONS.iter().filter(|o| o.scope == Scope::Call) {
            if option.value.is_empty() {
                if matches.get_flag(id(option)) {
                    self.set_flag(id(option));
                }
                continue;
            }
            if let Some(value) = matches.get_one::<String>(id(option)) {
                self.set(id(option), value.clone())
                    .map_err(|(expected, reason)| {
                        clap::Error::raw(
                            clap::error::ErrorKind::ValueValidation,
                            format!(
                                "invalid value for {}: {reason} (expected {expected})\n",
                                option.name
                            ),
                        )
                    })?;
            }
        }
        Ok(())
    }
}
