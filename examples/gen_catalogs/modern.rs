//! What the inventory does not hold, for SharePoint 2013, 2016, 2019, Subscription Edition
//! and Office Online Server: MinRole roles, media, the language-dependent pairs, the uber
//! switch, baselines and the rollout rules of the zero-downtime sequence — each with its
//! sources (`sources.rs`). Where no source settles a step, the step stays a visible manual
//! step that says why.

use serde_json::{Value, json};
use slipway::catalog::model::{Catalog, LanguageDependent, Media, Role, Unified};
use slipway::catalog::rollout::Rollout;
use slipway::model::Build;

use super::sources as src;

/// One of the 16.0 SharePoint products.
struct Sp16 {
    id: &'static str,
    title: &'static str,
    rtm: &'static str,
    servicing: &'static str,
    se: bool,
}

const SP16: &[Sp16] = &[
    Sp16 {
        id: "sharepoint-2016",
        title: "SharePoint Server 2016",
        rtm: "16.0.4351.1000",
        servicing: src::SERVICING_2016,
        se: false,
    },
    Sp16 {
        id: "sharepoint-2019",
        title: "SharePoint Server 2019",
        rtm: "16.0.10337.12109",
        servicing: src::SERVICING_2019,
        se: false,
    },
    Sp16 {
        id: "sharepoint-se",
        title: "SharePoint Server Subscription Edition",
        rtm: "16.0.14326.20450",
        servicing: src::SERVICING_SE,
        se: true,
    },
];

/// Adds the rules of the catalog's product, if it is one of these.
pub fn extend(c: &mut Catalog) -> Result<(), String> {
    if let Some(p) = SP16.iter().find(|p| p.id == c.id) {
        sp16(c, p)
    } else if c.id == "sharepoint-2013" {
        sp2013(c);
        Ok(())
    } else if c.id.starts_with("office-online-server-") {
        oos(c);
        Ok(())
    } else {
        Ok(())
    }
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| (*s).to_owned()).collect()
}

/// SharePoint 2013: the setup media and the Service Pack 1 baseline of the cumulative updates
/// from April 2015 (third-party only).
fn sp2013(c: &mut Catalog) {
    let sp1 = Build::parse("15.0.4571.1502");
    let from = slipway::model::YearMonth::parse("2015-04");
    for r in &mut c.releases {
        if r.kind == slipway::catalog::model::ReleaseKind::CumulativeUpdate
            && r.date.is_some_and(|d| Some(d) >= from)
        {
            r.requires_build = sp1;
            r.notes.push(format!(
                "requires_build 15.0.4571.1502 (Service Pack 1): {}",
                src::BASELINE_2013_SP1
            ));
        }
    }
    c.media = Some(Media {
        editions: vec![slipway::catalog::model::Edition {
            id: "server".into(),
            title: "SharePoint Server 2013".into(),
            product_names: Vec::new(),
            components: strings(&["spf", "server"]),
        }],
        min_build: None,
        required_files: strings(&["prerequisiteinstaller.exe"]),
        language_pack_files: Vec::new(),
        notes: vec![
            format!("The setup media hold the prerequisite installer: {}", src::PREREQ_2013),
            format!("Slipstreamed updates go to the media's Updates folder: {}", src::PREPARE_SLIPSTREAM),
            "No source read gives the ProductName or the build of a SharePoint 2013 setup.exe (Third-party only: RTM 15.0.4420.1017, SP1 slipstream 15.0.4569.1506): the media are recognised by their files and their 15.0 build and reported unconfirmed (media-unconfirmed).".into(),
        ],
    });
    c.sources.push(format!(
        "Baseline of the cumulative updates from April 2015: {}",
        src::BASELINE_2013_SP1
    ));
}

/// Office Online Server: no language packs to slipstream, no rollout from the slipstream.
fn oos(c: &mut Catalog) {
    c.sources.push(src::OOS_UPDATES.to_owned());
    c.sources.push(src::OOS_BUILDS.to_owned());
    c.sources.push("Slipstreaming Office Online Server (an Updates folder on its media) is in no Microsoft document read (searched: OfficeDocs-OfficeOnlineServer for \"Updates folder\", \"slipstream\", \"/extract\"); Third-party: AutoSPSourceBuilder extracts wacserver packages into <media>\\Updates. The rollout re-creates the farm with the parameters of the existing one (Get-OfficeWebAppsFarm), which slipway cannot know: no rollout rules, the procedure above is done by hand.".to_owned());
}

/// The MinRole roles as the vendor names them (ids are the LocalServerRole values in
/// lower-case words), with the rollout rank of the zero-downtime sequence: front ends
/// first, then the other roles in the order the vendor's example lists them (SPApp, SPDCH,
/// SPSRCH).
fn minrole(p: &Sp16) -> Vec<Role> {
    let same = format!(
        "Every server gets the same binaries: this role's folder holds the same media and updates as every other role's (hard links). The role is chosen in the configuration wizard, not by setup ({}); {}; {}",
        src::MINROLE_CHOSEN_AT_CONFIG,
        src::SAME_PATCH_LEVEL,
        src::MULTI_SERVER_INSTALL
    );
    let shared = if p.se || p.id == "sharepoint-2019" {
        "A shared role of SharePoint Server 2019 and Subscription Edition.".to_owned()
    } else {
        format!(
            "A shared role, which needs the November 2016 public update (Feature Pack 1) or later: the farm at build 16.0.4456.1004 or later ({}). The vendor's pages disagree on the Feature Pack ({}).",
            src::FP1_BUILD,
            src::SINGLE_SERVER_FARM_ALONE
        )
    };
    let role = |id: &str, title: &str, rank: u32, value: &str, extra: &[&str]| Role {
        id: id.into(),
        title: title.into(),
        rollout_rank: rank,
        components: Vec::new(),
        role_families: Vec::new(),
        notes: std::iter::once(format!(
            "MinRole role {title:?} (LocalServerRole {value}; {}).",
            src::MINROLE_PLANNING
        ))
        .chain(std::iter::once(same.clone()))
        .chain(extra.iter().map(|s| (*s).to_owned()))
        .collect(),
        pool: slipway::catalog::model::Pool::None,
    };
    let front = "A front end: patched in the first two phases, half of the front ends at a time out of the load balancer, and configured first (the zero-downtime sequence).";
    vec![
        role("web-front-end", "Front-end", 1, "WebFrontEnd", &[front]),
        role(
            "web-front-end-with-distributed-cache",
            "Front end with Distributed Cache",
            1,
            "WebFrontEndWithDistributedCache",
            &[
                front,
                &shared,
                "Hosts the Distributed Cache: stopped gracefully before each restart and each configuration wizard run, started again after.",
            ],
        ),
        role("application", "Application", 2, "Application", &[]),
        role(
            "application-with-search",
            "Application with Search",
            2,
            "ApplicationWithSearch",
            &[
                &shared,
                "Hosts Search components: Search is paused and its services stopped around the update.",
            ],
        ),
        role(
            "distributed-cache",
            "Distributed Cache",
            3,
            "DistributedCache",
            &[
                "Hosts the Distributed Cache: stopped gracefully before each restart and each configuration wizard run, started again after.",
            ],
        ),
        role(
            "search",
            "Search",
            4,
            "Search",
            &[
                "Hosts Search components: Search is paused and its services stopped around the update.",
            ],
        ),
        role(
            "custom",
            "Custom",
            5,
            "Custom",
            &[
                "Services chosen by the administrator: the runbook asks whether it hosts the Distributed Cache or Search components, which slipway cannot know.",
            ],
        ),
        role(
            "single-server-farm",
            "Single-Server Farm",
            6,
            "SingleServerFarm",
            &[
                "The only server of its farm (\"The SingleServerFarm cannot be used unless the SharePoint farm has zero servers in it\"): a farm that cannot stay in service while it is updated.",
            ],
        ),
    ]
}

const FRONT_ENDS: &[&str] = &["web-front-end", "web-front-end-with-distributed-cache"];
const OTHERS: &[&str] = &[
    "application",
    "application-with-search",
    "distributed-cache",
    "search",
    "custom",
    "single-server-farm",
];
/// The roles that host the Distributed Cache: among the front ends, and among the others.
const FE_DC: &[&str] = &["web-front-end-with-distributed-cache"];
const OTHER_DC: &[&str] = &["distributed-cache", "single-server-farm"];
const SEARCH_ROLES: &[&str] = &["application-with-search", "search", "single-server-farm"];

fn sp16(c: &mut Catalog, p: &Sp16) -> Result<(), String> {
    c.roles = minrole(p);
    c.sources
        .retain(|s| !s.starts_with("Roles and rollout order"));
    c.sources.push(format!("Roles: {}", src::MINROLE_PLANNING));
    c.sources
        .push(format!("Rollout: {} {}", src::ZDP, src::OVERVIEW_NO_ORDER));
    c.language_dependent = vec![LanguageDependent {
        core: "sts".into(),
        partner: "wssloc".into(),
        text: "\"If a language dependent patch isn't available for a given month, update to the latest previously available language dependent patch\"".into(),
        sources: strings(&[src::OVERVIEW_PAIR, src::OVERVIEW_FALLBACK]),
    }];
    if p.se {
        c.unified = vec![Unified {
            family: "uber".into(),
            replaces: strings(&["sts", "wssloc"]),
            sources: strings(&[src::OVERVIEW_UBER, src::UBER_23H1]),
        }];
        c.sources.push("Feature updates (22H2 September 2022, 23H1 March 2023, 23H2 September 2023, 24H1 March 2024, 24H2 September 2024) are cumulative public updates; no Microsoft page read gives a minimum build to install one (searched: the feature-update pages, \"feature update\" with must/require/minimum), so no release states a requires_build. 22H2 = September 2022 is Third-party only (AutoSPSourceBuilder's inventory).".into());
    }
    let mut required = vec!["prerequisiteinstaller.exe".to_owned()];
    let mut notes = vec![
        format!(
            "The setup media hold the prerequisite installer: {}",
            if p.se { src::PREREQ_SE } else { src::PREREQ_2016_2019 }
        ),
        format!("The product's first build (min_build) is its RTM build: {}", p.servicing),
        format!("Slipstreamed updates go to the media's Updates folder: {} {}", src::PREPARE_SLIPSTREAM, src::MEDIA_README),
        "No source read gives the ProductName or FileVersion of the setup.exe of these media (Third-party: AutoSPSourceBuilder reads setup.exe's ProductVersion and tells 2016, 2019 and Subscription Edition apart by the build). A medium is recognised by its files and by its setup build lying between this product's RTM build and the next product's (min_build), and refused otherwise.".into(),
        "Language packs: a language pack's own Updates folder is in no Microsoft document read; the vendor's language-dependent patch \"covers all language packs\" and goes to the server media's Updates folder (media README). slipway puts the language-dependent patch in the media's Updates folder; a language pack's Updates folder gets what the plan places there (localized patches of its culture).".into(),
    ];
    let mut lp_files = Vec::new();
    if p.se {
        required.push("files/setupsilent/config.xml".into());
        lp_files.push("files/setupsilent/config.xml".into());
        notes.push(format!("Subscription Edition media and its language packs hold Files\\SetupSilent\\config.xml: {} {}", src::SE_CONFIG_XML, src::SE_LP_MEDIA));
    } else {
        notes.push(format!("Language packs: {}", src::LP_2019));
    }
    c.media = Some(Media {
        editions: vec![slipway::catalog::model::Edition {
            id: "server".into(),
            title: p.title.into(),
            product_names: Vec::new(),
            components: c.components.iter().map(|x| x.id.clone()).collect(),
        }],
        min_build: Build::parse(p.rtm),
        required_files: required,
        language_pack_files: lp_files,
        notes,
    });
    let rollout: Rollout =
        serde_json::from_value(rollout(p)).map_err(|e| format!("{}: rollout: {e}", p.id))?;
    c.rollout = Some(rollout);
    Ok(())
}

/// A SharePoint cmdlet line as the vendor runs it: 2016 and 2019 load the snap-in first,
/// Subscription Edition's cmdlets are always there.
fn sp(p: &Sp16, line: &str) -> String {
    if p.se {
        line.to_owned()
    } else {
        format!(
            "Add-PSSnapin Microsoft.SharePoint.PowerShell -ErrorAction SilentlyContinue; {line}"
        )
    }
}

fn cmdlet_source(p: &Sp16) -> &'static str {
    if p.se { src::SE_MODULE } else { src::SNAPIN }
}

/// The graceful Distributed Cache shutdown of the product's version.
fn dc_stop(p: &Sp16, roles: &[&str], when: &str) -> Value {
    let (text, line, source) = if p.se {
        (
            "Stop the Distributed Cache on {server} gracefully (Subscription Edition: Stop-SPDistributedCacheServiceInstance -Graceful), so that its cached data moves to another cache host before the restart or the configuration wizard.",
            sp(p, "Stop-SPDistributedCacheServiceInstance -Graceful"),
            src::DC_SE,
        )
    } else {
        (
            "Stop the Distributed Cache on {server} gracefully (the vendor's script for 2013/2016/2019: Stop-CacheHost -Graceful, wait until the host is Down, then Stop-SPDistributedCacheServiceInstance), so that its cached data moves to another cache host before the restart or the configuration wizard; this can take 15 minutes or more.",
            sp(
                p,
                "Use-CacheCluster; $fqdn = [System.Net.Dns]::GetHostEntry($env:COMPUTERNAME).HostName; $start = Get-Date; $hostInfo = Stop-CacheHost -Graceful -CachePort 22233 -ComputerName $fqdn; while ((((Get-Date) - $start).TotalSeconds -le 900) -and ($hostInfo.Status -ne 'Down')) { Start-Sleep -Seconds 5; $hostInfo = Get-CacheHost -HostName $fqdn -CachePort 22233 }; if ($hostInfo.Status -ne 'Down') { throw 'the cache host did not stop within 15 minutes' }; Stop-SPDistributedCacheServiceInstance",
            ),
            src::DC_SCRIPT,
        )
    };
    json!({
        "id": "stop-distributed-cache", "action": "prepare", "roles": roles, "when": when, "text": text,
        "powershell": line,
        "remedy": "The Distributed Cache on {server} did not stop gracefully: check the cache cluster (Use-CacheCluster; Get-CacheHost), resolve what keeps the host up, then run the script again.",
        "downtime": "{server} serves no cache until the Distributed Cache is started again.",
        "sources": [src::DC_BEFORE_RESTART, source, src::DC_CONFLICT, cmdlet_source(p)]
    })
}

fn dc_start(roles: &[&str], when: &str) -> Value {
    json!({
        "id": "start-distributed-cache", "action": "resume", "roles": roles, "when": when, "manual": true,
        "text": "Start the Distributed Cache on {server} again: Central Administration > Application Management > Manage Services on Server > Distributed Cache > Start (the vendor's graceful-shutdown script leaves the start to Central Administration).",
        "sources": [src::DC_START_CA, src::DC_SCRIPT, src::DC_CONFLICT]
    })
}

fn lb_out(id: &str, when: &str, text: &str, source: &str) -> Value {
    json!({
        "id": id, "action": "prepare", "roles": FRONT_ENDS, "when": when, "manual": true,
        "text": text,
        "downtime": "{server} takes no user requests until it is back in the load balancer; the other front ends serve them.",
        "sources": [source]
    })
}

fn lb_in(id: &str, when: &str, text: &str, source: &str) -> Value {
    json!({
        "id": id, "action": "resume", "roles": FRONT_ENDS, "when": when, "manual": true,
        "text": text, "sources": [source]
    })
}

fn install(roles: &[&str], when: &str) -> Value {
    json!({"id": "install", "action": "install", "roles": roles, "when": when,
           "sources": [src::INSTALL_RUN_EXE, src::ZDP_PHASE1_COLUMNS]})
}

fn restart(id: &str, when: &str, roles: &[&str]) -> Value {
    json!({
        "id": id, "action": "reboot", "roles": roles, "when": when, "manual": true,
        "text": "Restart {server} now that its updates are installed (the zero-downtime sequence restarts every server after patching), then run this script again with -Confirm for this step.",
        "downtime": "{server} is down while it restarts.",
        "sources": [src::ZDP_PHASE1_WFE1, src::ZDP_PHASE1_COLUMNS]
    })
}

fn search_stop(p: &Sp16, when: &str) -> Value {
    json!({
        "id": format!("stop-search-services-{when}"), "action": "prepare", "roles": SEARCH_ROLES,
        "when": when,
        "text": "Stop the Search services on {server} in the vendor's order, each stopped before the next: SPTimerV4, OSearch16, SPSearchHostController.",
        "powershell": "Stop-Service -Name SPTimerV4; Stop-Service -Name OSearch16; Stop-Service -Name SPSearchHostController",
        "remedy": "A Search service on {server} did not stop: stop it from the Services console, then run the script again.",
        "downtime": "{server}'s Search components are out of service until its services are started again; the other availability group serves queries and crawls.",
        "sources": [src::SEARCH_PAUSE, cmdlet_source(p)]
    })
}

fn search_start(p: &Sp16, when: &str) -> Vec<Value> {
    vec![
        json!({
            "id": format!("start-search-services-{when}"), "action": "resume", "roles": SEARCH_ROLES,
            "when": when,
            "text": "Start the Search services on {server} in the vendor's order: SPSearchHostController, OSearch16, SPTimerV4.",
            "powershell": "Start-Service -Name SPSearchHostController; Start-Service -Name OSearch16; Start-Service -Name SPTimerV4",
            "sources": [src::SEARCH_PAUSE]
        }),
        json!({
            "id": format!("check-search-active-{when}"), "action": "verify", "roles": SEARCH_ROLES,
            "when": when,
            "text": "Check that every Search component is active again before the next server goes on.",
            "check": sp(p, "@(Get-SPEnterpriseSearchStatus -SearchApplication (Get-SPEnterpriseSearchServiceApplication) | Where-Object { $_.State -ne 'Active' }).Count -eq 0"),
            "remedy": "Some Search components are not active yet: wait a few minutes and run the script again (the vendor reruns the status command until no component is listed); if one stays inactive, resolve it before going on.",
            "sources": [src::SEARCH_ACTIVE, cmdlet_source(p)]
        }),
    ]
}

fn psconfig(id: &str, roles: &[&str], when: &str) -> Value {
    json!({
        "id": id, "action": "configure", "roles": roles, "when": when,
        "text": "Run the SharePoint Products Configuration Wizard on {server} from the command line (PSConfig.exe build-to-build upgrade, as the zero-downtime sequence gives it); never on two servers at once.",
        "program": "%COMMONPROGRAMFILES%\\Microsoft Shared\\Web Server Extensions\\16\\BIN\\PSConfig.exe",
        "arguments": ["-cmd", "upgrade", "-inplace", "b2b", "-wait", "-cmd", "applicationcontent", "-install", "-cmd", "installfeatures", "-cmd", "secureresources", "-cmd", "services", "-install"],
        "exit_codes": [{"code": 0, "outcome": "success", "meaning": "completed (the only code read as success: no source lists PSConfig's exit codes)."}],
        "remedy": "Read the newest Upgrade-*.log and Upgrade-*-error.log in %COMMONPROGRAMFILES%\\Microsoft Shared\\Web server extensions\\16\\LOGS, resolve what blocks, then run the script again (completed upgrade tasks do not run again).",
        "sources": [src::ZDP_PSCONFIG, src::ZDP_PHASE2, src::INSTALL_LOGS]
    })
}

fn server_status(p: &Sp16, id: &str, roles: &[&str], when: &str) -> Value {
    json!({
        "id": id, "action": "verify", "roles": roles, "when": when,
        "text": "Check {server}'s status in the farm: no action required (not Installation required, Upgrade required or Upgrade blocked).",
        "check": sp(p, "[Microsoft.SharePoint.Administration.SPProductVersions]::GetProductVersions().GetServerProductInfo((Get-SPServer -Identity $env:COMPUTERNAME).Id).InstallStatus.ToString() -eq 'NoActionRequired'"),
        "remedy": "{server} still needs an installation or an upgrade: Central Administration > Upgrade and Migration > Check product and patch installation status says what; install what is missing or rerun PSConfig, then run the script again.",
        "sources": [src::CHECK_SERVER_STATUS, cmdlet_source(p)]
    })
}

/// The rollout of the zero-downtime sequence for a highly available farm.
fn rollout(p: &Sp16) -> Value {
    let first = "first-half";
    let second = "second-half";
    let search_groups_text = "Search availability groups: the Search servers of the first half are patched as group 1, those of the second half as group 2. Check that the first half holds one or more, but not all, of each kind of Search component and of the index components of each partition, and a Search administration component that is not the primary one; the second half holds the rest, including the primary Search administration component (run Get-SPEnterpriseSearchStatus … -Primary as the vendor shows). If not, rename the servers or change the topology before going on: slipway splits each role's servers by name.";
    json!({
        "sources": [src::ZDP, src::INSTALL_PRECONDITIONS, src::OVERVIEW_NO_ORDER, src::DC_CONFLICT],
        "powershell": {
            "version": "5.1",
            "text": "Windows PowerShell 5.1, installed by default on Windows Server 2016, 2019 and 2022; the SharePoint cmdlets do not run in PowerShell 6 or 7",
            "sources": [src::POWERSHELL_51, cmdlet_source(p)]
        },
        "installers": [{
            "id": "sharepoint-package",
            "match": "*.exe",
            "installs": "package",
            "text": "Run the update package {name} ({kb}) on {server}, quietly and without restarting; the configuration wizard runs later",
            "program": "{file}",
            "arguments": ["/quiet", "/norestart", "/log:{log}"],
            "exit_codes": [
                {"code": 0, "outcome": "success", "meaning": "Success."},
                {"code": 17022, "outcome": "reboot", "meaning": "Success: reboot flag set."},
                {"code": 17025, "outcome": "already-installed", "meaning": "Patch already installed."},
                {"code": 17028, "outcome": "not-applicable", "meaning": "No product installed for contained patch.",
                 "remedy": "The package is for a product or language pack that is not installed on this server: every server of the farm has the same binaries and language packs; install what is missing (or take this package out of the change) before going on."},
                {"code": 17031, "outcome": "stop", "meaning": "Detection: invalid baseline.",
                 "remedy": "The server is not at the level this update needs: install the baseline the update's KB article names first."},
                {"code": 17034, "outcome": "stop", "meaning": "Required patch does not apply to the machine.",
                 "remedy": "The update does not apply to what is installed on this server: check the server's product and version against the update's KB article."}
            ],
            "sources": [src::INSTALL_RUN_EXE, src::SWITCHES, src::EXIT_CODES]
        }],
        "phases": [
            {
                "id": "before",
                "title": "Before the window: back up, check the farm, enable side-by-side",
                "steps": [
                    {"id": "backup", "action": "backup", "scope": "farm", "manual": true,
                     "text": "Back up the farm fully (the configuration and content databases, the service applications): a failed build-to-build upgrade may have to be restored from it.",
                     "sources": [src::INSTALL_PRECONDITIONS]},
                    {"id": "check-preconditions", "action": "prepare", "scope": "farm", "manual": true,
                     "text": "Check that every front end is load balanced and in rotation, every server works (for Search: Get-SPEnterpriseSearchStatus), every database is active, and every server is fresh from a restart and healthy; do not start otherwise. Consider stopping Search crawls and profile imports for the window.",
                     "sources": [src::INSTALL_PRECONDITIONS, src::ZDP_HA]},
                    {"id": "check-high-availability", "action": "prepare", "scope": "farm", "manual": true,
                     "text": "Zero downtime needs a highly available farm: at least two servers of every role, split into two halves (slipway takes each role's first half of its servers by name, then the second). A role with one server is out of service while that server is updated and configured.",
                     "sources": [src::ZDP_HA]},
                    {"id": "search-groups", "action": "prepare", "scope": "farm", "roles": SEARCH_ROLES, "manual": true,
                     "text": search_groups_text,
                     "sources": [src::SEARCH_GROUPS]},
                    {"id": "enable-side-by-side", "action": "prepare", "scope": "farm", "manual": true,
                     "text": "Enable side-by-side once, with the URL of one of the content web applications: $webapp = Get-SPWebApplication <webappURL>; $webapp.WebService.EnableSideBySide = $true; $webapp.WebService.update() (slipway does not know the URL).",
                     "sources": [src::ZDP_SIDE_BY_SIDE]}
                ]
            },
            {
                "id": "install-front-ends-first-half",
                "title": "Patch the first half of the front ends, out of the load balancer, and return them",
                "sources": [src::ZDP_PHASE1_WFE1],
                "steps": [
                    lb_out("out-of-rotation", first, "Take {server} out of the load balancer's rotation.", src::ZDP_PHASE1_WFE1),
                    dc_stop(p, FE_DC, first),
                    install(FRONT_ENDS, first),
                    restart("restart", first, FRONT_ENDS),
                    dc_start(FE_DC, first),
                    lb_in("back-in-rotation", first, "Return {server} to the load balancer's rotation.", src::ZDP_PHASE1_WFE1)
                ]
            },
            {
                "id": "install-front-ends-second-half",
                "title": "Patch the second half of the front ends, out of the load balancer (they stay out until their configuration)",
                "sources": [src::ZDP_PHASE1_WFE2],
                "steps": [
                    lb_out("out-of-rotation", second, "Take {server} out of the load balancer's rotation; it stays out until its configuration wizard has run (if the farm has a lot of load, it may return until then).", src::ZDP_PHASE1_WFE2),
                    dc_stop(p, FE_DC, second),
                    install(FRONT_ENDS, second),
                    restart("restart", second, FRONT_ENDS),
                    dc_start(FE_DC, second)
                ]
            },
            {
                "id": "install-first-half",
                "title": "Patch the first half of the other servers (column 1), Search paused",
                "sources": [src::ZDP_PHASE1_COLUMNS, src::SEARCH_PAUSE],
                "steps": [
                    {"id": "suspend-search", "action": "prepare", "scope": "farm", "roles": SEARCH_ROLES,
                     "text": "Pause the Search service application before its servers are patched.",
                     "powershell": sp(p, "Suspend-SPEnterpriseSearchServiceApplication -Identity (Get-SPEnterpriseSearchServiceApplication)"),
                     "remedy": "The Search service application could not be paused: check it in Central Administration, then run the script again.",
                     "sources": [src::SEARCH_PAUSE, cmdlet_source(p)]},
                    search_stop(p, first),
                    dc_stop(p, OTHER_DC, first),
                    install(OTHERS, first),
                    restart("restart", first, OTHERS),
                    search_start(p, first)[0].clone(),
                    search_start(p, first)[1].clone(),
                    dc_start(OTHER_DC, first)
                ]
            },
            {
                "id": "install-second-half",
                "title": "Patch the second half of the other servers (column 2)",
                "sources": [src::ZDP_PHASE1_COLUMNS, src::SEARCH_PAUSE],
                "steps": [
                    search_stop(p, second),
                    dc_stop(p, OTHER_DC, second),
                    install(OTHERS, second),
                    restart("restart", second, OTHERS),
                    search_start(p, second)[0].clone(),
                    search_start(p, second)[1].clone(),
                    dc_start(OTHER_DC, second)
                ]
            },
            {
                "id": "resume-search",
                "title": "Resume Search",
                "steps": [
                    {"id": "resume-search", "action": "resume", "scope": "farm", "roles": SEARCH_ROLES,
                     "text": "Resume the Search service application: every Search server is patched.",
                     "powershell": sp(p, "Resume-SPEnterpriseSearchServiceApplication -Identity (Get-SPEnterpriseSearchServiceApplication)"),
                     "remedy": "The Search service application could not be resumed: check it in Central Administration, then run the script again.",
                     "sources": [src::SEARCH_PAUSE, cmdlet_source(p)]}
                ]
            },
            {
                "id": "configure-front-ends-second-half",
                "title": "Configuration wizard on the front ends out of rotation, one at a time, then back in rotation",
                "servers": "one-at-a-time",
                "sources": [src::ZDP_PHASE2],
                "steps": [
                    dc_stop(p, FE_DC, second),
                    psconfig("psconfig", FRONT_ENDS, second),
                    server_status(p, "check-server-status", FRONT_ENDS, second),
                    dc_start(FE_DC, second),
                    lb_in("back-in-rotation", second, "Return {server} to the load balancer's rotation: it is patched and upgraded.", src::ZDP_PHASE2)
                ]
            },
            {
                "id": "configure-front-ends-first-half",
                "title": "Configuration wizard on the other front ends, one at a time, each out of rotation",
                "servers": "one-at-a-time",
                "sources": [src::ZDP_PHASE2],
                "steps": [
                    lb_out("out-of-rotation", first, "Take {server} out of the load balancer's rotation for its configuration wizard.", src::ZDP_PHASE2),
                    dc_stop(p, FE_DC, first),
                    psconfig("psconfig", FRONT_ENDS, first),
                    server_status(p, "check-server-status", FRONT_ENDS, first),
                    dc_start(FE_DC, first),
                    lb_in("back-in-rotation", first, "Return {server} to the load balancer's rotation: it is patched and upgraded.", src::ZDP_PHASE2)
                ]
            },
            {
                "id": "configure-first-half",
                "title": "Configuration wizard on the first half of the other servers (column 1), one at a time",
                "servers": "one-at-a-time",
                "sources": [src::ZDP_PHASE2, src::ZDP_DC_REMOVE],
                "steps": [
                    dc_stop(p, OTHER_DC, first),
                    psconfig("psconfig", OTHERS, first),
                    server_status(p, "check-server-status", OTHERS, first),
                    dc_start(OTHER_DC, first)
                ]
            },
            {
                "id": "configure-second-half",
                "title": "Configuration wizard on the second half of the other servers (column 2), one at a time",
                "servers": "one-at-a-time",
                "sources": [src::ZDP_PHASE2, src::ZDP_DC_REMOVE],
                "steps": [
                    dc_stop(p, OTHER_DC, second),
                    psconfig("psconfig", OTHERS, second),
                    server_status(p, "check-server-status", OTHERS, second),
                    dc_start(OTHER_DC, second)
                ]
            },
            {
                "id": "after",
                "title": "Checks after the update",
                "steps": [
                    {"id": "check-farm-build", "action": "verify", "scope": "farm",
                     "text": "Check the farm's build: (Get-SPFarm).BuildVersion is {build:server} or later.",
                     "check": sp(p, "(Get-SPFarm).BuildVersion -ge [version]'{build:server}'"),
                     "remedy": "The farm is below build {build:server}: a server has not run PSConfig or its upgrade failed (Central Administration > Upgrade and Migration, the Upgrade-*-error.log files); resolve it, then run the script again.",
                     "sources": [src::CHECK_FARM_BUILD, cmdlet_source(p)]},
                    {"id": "check-content-databases", "action": "verify", "scope": "farm",
                     "text": "Check that no content database needs an upgrade (NeedsUpgradeIncludeChildren).",
                     "check": sp(p, "@(Get-SPContentDatabase | Where-Object { $_.NeedsUpgradeIncludeChildren }).Count -eq 0"),
                     "remedy": "Some content databases still need an upgrade (Get-SPContentDatabase | ft Name, NeedsUpgradeIncludeChildren): run Upgrade-SPContentDatabase for each, then run the script again.",
                     "sources": [src::CHECK_CONTENT_DBS, cmdlet_source(p)]},
                    {"id": "side-by-side-token", "action": "resume", "scope": "farm", "manual": true,
                     "text": "Switch the web applications to the new user interface files: $webapp = Get-SPWebApplication <webappURL>; $webapp.WebService.SideBySideToken = '{build:server}'; $webapp.WebService.update() (slipway does not know the URL).",
                     "sources": [src::ZDP_SIDE_BY_SIDE]},
                    {"id": "backup-after", "action": "backup", "scope": "farm", "manual": true,
                     "text": "Back up the farm again now that the update is verified.",
                     "sources": [src::INSTALL_PRECONDITIONS]}
                ]
            }
        ],
        "backout": [
            {"text": "A failed build-to-build upgrade may have to be restored from the backup taken before the update; after the restore the update can be resumed, and completed tasks do not run again.",
             "sources": [src::INSTALL_PRECONDITIONS]},
            {"text": "If PSConfig stopped on a server: read the newest Upgrade-*-error.log in the 16\\LOGS folder, resolve what blocks, and run PSConfig again on that server before going on to the next.",
             "sources": [src::INSTALL_LOGS, src::ZDP_PSCONFIG]},
            {"text": "If permissions on registry keys or files are wrong after the update: Initialize-SPResourceSecurity.",
             "sources": [src::TROUBLESHOOT_PERMISSIONS]}
        ]
    })
}
