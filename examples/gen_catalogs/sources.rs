//! The sources the SharePoint 2013 … Subscription Edition and Office Online Server rules cite:
//! one constant per document (or per passage), so that every rule names its source the same
//! way. Microsoft's documents are cited by title, public address and the path in the
//! MicrosoftDocs repository they are published from (OfficeDocs-SharePoint @ 7c40f91e5ec7,
//! OfficeDocs-OfficeOnlineServer @ b2b3a0b03b31) with line numbers; anything else is marked
//! "Third-party:".

macro_rules! sp {
    ($title:literal, $page:literal, $path:literal, $rest:literal) => {
        concat!(
            "\"",
            $title,
            "\" (Microsoft Learn, https://learn.microsoft.com/sharepoint/",
            $page,
            "; MicrosoftDocs/OfficeDocs-SharePoint SharePoint/SharePointServer/",
            $path,
            ") ",
            $rest
        )
    };
}

pub const PREPARE_SLIPSTREAM: &str = sp!(
    "Prepare to deploy software updates for SharePoint 2013",
    "upgrade-and-update/prepare-to-deploy-software-updates",
    "upgrade-and-update/prepare-to-deploy-software-updates.md",
    "lines 157-188: \"You must use the name Updates for this updates folder\"; \"Within the extracted SharePoint installation folder, there is an Updates folder … This is the folder where the slipstreamed packages will reside\"; \"Extract each package to the target location\" with <package> /extract:<path>; \"Setup will automatically apply the update during the installation process of SharePoint\"."
);
pub const SAME_PATCH_LEVEL: &str = sp!(
    "Prepare to deploy software updates for SharePoint 2013",
    "upgrade-and-update/prepare-to-deploy-software-updates",
    "upgrade-and-update/prepare-to-deploy-software-updates.md",
    "line 174: \"SharePoint farm deployments require that all servers have the same patch level when joining the farm.\""
);
pub const MEDIA_README: &str = "Updates\\README.TXT on the SharePoint Server 2019 media (Microsoft's text, read through a Third-party mirror of the media): \"Any patches extracted to this folder will be applied during initial installation … Both the core patch and the language patch should be extracted to this folder.\"";
pub const OVERVIEW_PAIR: &str = sp!(
    "Software updates overview for SharePoint Server 2016, 2019, and Subscription Edition",
    "upgrade-and-update/software-updates-overview",
    "upgrade-and-update/software-updates-overview.md",
    "lines 58-60: the language independent update (\"sts-x-none\") and the language dependent patch (\"wssloc\"), which \"covers all language packs, including English installations … is required to fully update the farm, although may not be released every month\"."
);
pub const OVERVIEW_FALLBACK: &str = sp!(
    "Software updates overview for SharePoint Server 2016, 2019, and Subscription Edition",
    "upgrade-and-update/software-updates-overview",
    "upgrade-and-update/software-updates-overview.md",
    "line 66: \"If a language dependent patch isn't available for a given month, update to the latest previously available language dependent patch. For example, if applying the July 2019 Public Update for SharePoint Server 2016, install the language independent update for July 2019 and the language dependent patch from April 2019.\""
);
pub const OVERVIEW_UBER: &str = sp!(
    "Software updates overview for SharePoint Server 2016, 2019, and Subscription Edition",
    "upgrade-and-update/software-updates-overview",
    "upgrade-and-update/software-updates-overview.md",
    "line 63: \"From March 2023 PU, Microsoft will release a single \\\"uber\\\" patch for SharePoint Server Subscription Edition that contains all of the fixes that previously would have been released in those separate 'sts-x-none' and 'wssloc' patches.\""
);
pub const UBER_23H1: &str = sp!(
    "New and improved features in SharePoint Server Subscription Edition Version 23H1",
    "what-s-new/new-and-improved-features-in-sharepoint-server-subscription-edition-23h1-release",
    "what-s-new/new-and-improved-features-in-sharepoint-server-subscription-edition-23h1-release.md",
    "line 66: \"It isn't necessary to install any of the previous STS or WSSLOC updates before installing the uber update. No additional STS or WSSLOC updates will be released after the February 2023 public updates.\""
);
pub const OVERVIEW_NO_ORDER: &str = sp!(
    "Software updates overview for SharePoint Server 2016, 2019, and Subscription Edition",
    "upgrade-and-update/software-updates-overview",
    "upgrade-and-update/software-updates-overview.md",
    "lines 108-132: \"The patch phase involves running the update on each SharePoint Server in the farm\"; \"No specific order of installation in a farm is required\"; \"If you have an HA environment, follow the instructions at SharePoint Server zero downtime patching steps.\""
);
pub const MINROLE_PLANNING: &str = sp!(
    "Planning for a MinRole server deployment in SharePoint Servers 2016, 2019, and Subscription Edition",
    "install/planning-for-a-minrole-server-deployment-in-sharepoint-server",
    "install/planning-for-a-minrole-server-deployment-in-sharepoint-server.md",
    "lines 29-55 and 107-127: the eight server roles (dedicated: Front-end, Application, Distributed Cache, Search; shared: Front end with Distributed Cache, Application with Search, \"introduced in the November Public Update for SharePoint Server 2016 (Feature Pack 1)\"; special: Single-Server Farm, Custom), the LocalServerRole values WebFrontEnd, Application, DistributedCache, Search, WebFrontEndWithDistributedCache, ApplicationWithSearch, Custom, SingleServerFarm, and \"If no server role is specified, the server defaults to the Custom role.\""
);
pub const MINROLE_CHOSEN_AT_CONFIG: &str = sp!(
    "Overview of MinRole Server Roles in SharePoint Servers 2016, 2019, and Subscription Edition",
    "install/overview-of-minrole-server-roles-in-sharepoint-server",
    "install/overview-of-minrole-server-roles-in-sharepoint-server.md",
    "line 32: \"you now select the role of a server when you create a new farm or join a server to an existing farm\": the role is the configuration wizard's choice, not setup's, so every role installs the same binaries."
);
pub const MULTI_SERVER_INSTALL: &str = sp!(
    "Install SharePoint Servers 2016 or 2019 across multiple servers",
    "install/install-sharepoint-server-2016-across-multiple-servers",
    "install/install-sharepoint-server-2016-across-multiple-servers.md",
    "lines 38 and 227: \"Install the required software updates on all servers that will be part of the farm\"; further servers are added \"by following the same process … The only difference is that during the SharePoint Products Configuration Wizard, you choose to join an existing farm.\""
);
pub const SINGLE_SERVER_FARM_ALONE: &str = sp!(
    "Add a server to a SharePoint Server 2016 or SharePoint Server 2019 farm",
    "install/add-a-server-to-a-sharepoint-server-2016-farm",
    "install/add-a-server-to-a-sharepoint-server-2016-farm.md",
    "line 164: \"The SingleServerFarm cannot be used unless the SharePoint farm has zero servers in it.\" (The same page, lines 167 and 208, dates the shared roles to Feature Pack 2; the planning page and the Feature Pack 1 page date them to Feature Pack 1.)"
);
pub const FP1_BUILD: &str = sp!(
    "Custom Tiles in SharePoint Server",
    "administration/custom-tiles-in-sharepoint-server",
    "administration/custom-tiles-in-sharepoint-server.md",
    "lines 61-64: \"Feature Pack 1 contained in all cumulative updates of SharePoint Server of November 2016 and later … Your SharePoint build version should be at 16.0.4456.1004 or later\", read with (Get-SPFarm).BuildVersion."
);
pub const ZDP: &str = sp!(
    "SharePoint Server zero downtime patching steps",
    "upgrade-and-update/sharepoint-server-2016-zero-downtime-patching-steps",
    "upgrade-and-update/sharepoint-server-2016-zero-downtime-patching-steps.md",
    "(applies to 2016, 2019 and Subscription Edition)"
);
pub const ZDP_HA: &str = sp!(
    "SharePoint Server zero downtime patching steps",
    "upgrade-and-update/sharepoint-server-2016-zero-downtime-patching-steps",
    "upgrade-and-update/sharepoint-server-2016-zero-downtime-patching-steps.md",
    "lines 31-59: \"MinRole is not a requirement\"; \"A highly available SharePoint Server farm is a requirement for ZDP\"; the example farm's servers in two columns, \"everything you do on one side of the line (to the 01 servers) you'll exactly repeat for 02\"; \"All servers in the farm should be fresh from a reboot and healthy before you patch. Also, consider stopping Search crawls and Profile Imports during the upgrade or patch window.\""
);
pub const ZDP_SIDE_BY_SIDE: &str = sp!(
    "SharePoint Server zero downtime patching steps",
    "upgrade-and-update/sharepoint-server-2016-zero-downtime-patching-steps",
    "upgrade-and-update/sharepoint-server-2016-zero-downtime-patching-steps.md",
    "lines 62-70 and 159-163: side-by-side \"must be enabled\" ($webapp = Get-SPWebApplication <webappURL>; $webapp.WebService.EnableSideBySide = $true; $webapp.WebService.update()), and after every server has run PSCONFIG, $webapp.WebService.SideBySideToken = <current build number>; $webapp.WebService.update()."
);
pub const ZDP_PHASE1_WFE1: &str = sp!(
    "SharePoint Server zero downtime patching steps",
    "upgrade-and-update/sharepoint-server-2016-zero-downtime-patching-steps",
    "upgrade-and-update/sharepoint-server-2016-zero-downtime-patching-steps.md",
    "lines 79-81, phase 1 step 1: \"Take the first WFE (SPWeb01) out of the load balancer and patch it with the 'STS' and 'WSS' packages. Reboot the server when patching is done. Return the server to rotation in the load balancer.\""
);
pub const ZDP_PHASE1_WFE2: &str = sp!(
    "SharePoint Server zero downtime patching steps",
    "upgrade-and-update/sharepoint-server-2016-zero-downtime-patching-steps",
    "upgrade-and-update/sharepoint-server-2016-zero-downtime-patching-steps.md",
    "lines 85-90, phase 1 step 2: \"Take the second WFE (SPWeb02) out of the load balancer and patch it … Reboot the server when patching is done. Leave this server out of the load balancer until the entire upgrade is complete\" (the note allows returning it under load until PSCONFIG)."
);
pub const ZDP_PHASE1_COLUMNS: &str = sp!(
    "SharePoint Server zero downtime patching steps",
    "upgrade-and-update/sharepoint-server-2016-zero-downtime-patching-steps",
    "upgrade-and-update/sharepoint-server-2016-zero-downtime-patching-steps.md",
    "lines 94-100, phase 1 steps 3-4: \"For each of SPApp, SPDCH, and SPSRCH in column 1, patch with 'STS' and 'WSS' packages. Reboot them when they're done\", then \"repeat the 'patch and reboot' for column 2\"."
);
pub const ZDP_PHASE2: &str = sp!(
    "SharePoint Server zero downtime patching steps",
    "upgrade-and-update/sharepoint-server-2016-zero-downtime-patching-steps",
    "upgrade-and-update/sharepoint-server-2016-zero-downtime-patching-steps.md",
    "lines 104-156, phase 2: \"Every node in the SharePoint Server farm has the patches installed, and all have been rebooted\"; PSCONFIG first on the WFE that is out of rotation (SPWeb02), which then returns to the load balancer; then \"Remove SPWeb01 from the load-balancer\", PSCONFIG, return it; then \"for all of column 1, you'll run the commands one server at a time. Then you'll run them, one server at a time, for servers in column 2 with no overlapping.\""
);
pub const ZDP_PSCONFIG: &str = sp!(
    "SharePoint Server zero downtime patching steps",
    "upgrade-and-update/sharepoint-server-2016-zero-downtime-patching-steps",
    "upgrade-and-update/sharepoint-server-2016-zero-downtime-patching-steps.md",
    "lines 114, 130, 145, 156: \"PSCONFIG.exe -cmd upgrade -inplace b2b -wait -cmd applicationcontent -install -cmd installfeatures -cmd secureresources -cmd services -install\" (the page \"Install a software update for SharePoint Server\", line 248, gives the same command without -cmd services -install for its in-place procedure; the zero-downtime page's is the one for this sequence)."
);
pub const ZDP_DC_REMOVE: &str = sp!(
    "SharePoint Server zero downtime patching steps",
    "upgrade-and-update/sharepoint-server-2016-zero-downtime-patching-steps",
    "upgrade-and-update/sharepoint-server-2016-zero-downtime-patching-steps.md",
    "lines 141-142, 152-153: \"Remember to gracefully remove the Distributed Cache [Remove-SPDistributedCacheServiceInstance] before running PSCONFIG and add the Distributed Cache to the server [Add-SPDistributedCacheServiceInstance] again after completion.\""
);
pub const INSTALL_PRECONDITIONS: &str = sp!(
    "Install a software update for SharePoint Server",
    "upgrade-and-update/install-a-software-update",
    "upgrade-and-update/install-a-software-update.md",
    "lines 39-59 (applies to 2013, 2016, 2019 and Subscription Edition): \"All front-end web servers are load balanced together and are in rotation with the load balancer\", \"All farm servers are operating properly\" (Get-SPEnterpriseSearchStatus), \"All databases are active and operating properly. Don't start the update if any of the preceding conditions aren't satisfied\"; \"make sure that you perform a full backup before you start the update process\"."
);
pub const INSTALL_RUN_EXE: &str = sp!(
    "Install a software update for SharePoint Server",
    "upgrade-and-update/install-a-software-update",
    "upgrade-and-update/install-a-software-update.md",
    "lines 175-191: \"run the executable file to install the update. Don't run the SharePoint Products Configuration Wizard on these servers\"."
);
pub const INSTALL_LOGS: &str = sp!(
    "Install a software update for SharePoint Server",
    "upgrade-and-update/install-a-software-update",
    "upgrade-and-update/install-a-software-update.md",
    "line 118: upgrade logs in %COMMONPROGRAMFILES%\\Microsoft Shared\\Web server extensions\\16\\LOGS, Upgrade-YYYYMMDD-HHMMSS-SSS.log and Upgrade-YYYYMMDD-HHMMSS-SSS-error.log."
);
pub const SEARCH_PAUSE: &str = sp!(
    "Install a software update for SharePoint Server",
    "upgrade-and-update/install-a-software-update",
    "upgrade-and-update/install-a-software-update.md",
    "lines 411-470, \"Update servers that host Search components with minimal downtime\": two availability groups; Suspend-SPEnterpriseSearchServiceApplication; on each server stop SPTimerV4, OSearch16, SPSearchHostController in that order (\"Verify that each service is stopped before you stop the next service\"); install; start SPSearchHostController, OSearch16, SPTimerV4; wait until the group's components are active (Get-SPEnterpriseSearchStatus); then the other group; Resume-SPEnterpriseSearchServiceApplication."
);
pub const SEARCH_ACTIVE: &str = sp!(
    "Install a software update for SharePoint Server",
    "upgrade-and-update/install-a-software-update",
    "upgrade-and-update/install-a-software-update.md",
    "lines 395-401: \"Get-SPEnterpriseSearchStatus -SearchApplication $ssa | where {$_.State -ne \\\"Active\\\"} | fl … Rerun the command until no Search components are listed in the output.\""
);
pub const SEARCH_GROUPS: &str = sp!(
    "Install a software update for SharePoint Server",
    "upgrade-and-update/install-a-software-update",
    "upgrade-and-update/install-a-software-update.md",
    "lines 472-501, \"Determine server availability groups\": group 1 holds one or more, but not all, of each kind of Search component and of the index components of each partition, and a Search administration component that is not the primary one; group 2 the rest, \"including the server that hosts the primary Search administration component\". The zero-downtime page (line 42) adds: \"patch one index replica at a time and never patch or upgrade index replicas from the same partition at the same time\"."
);
pub const DC_BEFORE_RESTART: &str = sp!(
    "Install a software update for SharePoint Server",
    "upgrade-and-update/install-a-software-update",
    "upgrade-and-update/install-a-software-update.md",
    "lines 503-509: \"Prior to restarting a server from running a software update or Configuration Wizard, you must stop Distributed Cache to prevent unallocated cache fractions\" with the graceful shutdown; \"Do not use Stop-SPDistributedCacheServiceInstance -Graceful for SharePoint Server 2013, SharePoint Server 2016, and SharePoint Server 2019 … But Stop-SPDistributedCacheServiceInstance -Graceful can be used for SharePoint Server Subscription Edition.\""
);
pub const DC_SCRIPT: &str = sp!(
    "Manage the Distributed Cache service in SharePoint Server",
    "administration/manage-the-distributed-cache-service",
    "administration/manage-the-distributed-cache-service.md",
    "lines 212-265, the graceful-shutdown script for 2013/2016/2019: Use-CacheCluster; Stop-CacheHost -Graceful -CachePort 22233 -ComputerName <the server's domain name>; Get-CacheHost until its status is Down (time-out 900 seconds: \"The transfer process takes 15 minutes or more\"); Stop-SPDistributedCacheServiceInstance; \"To start service, please use Central Administration site.\" \"There is no need to remove the cache host from a cache cluster if you use the PowerShell script\"."
);
pub const DC_SE: &str = sp!(
    "Manage the Distributed Cache service in SharePoint Server",
    "administration/manage-the-distributed-cache-service",
    "administration/manage-the-distributed-cache-service.md",
    "line 225: \"In SharePoint Server Subscription Edition, don't run ps script for graceful shutdown. Instead, run Stop-SPDistributedCacheServiceInstance with -Graceful parameter to execute it.\""
);
pub const DC_START_CA: &str = sp!(
    "Manage the Distributed Cache service in SharePoint Server",
    "administration/manage-the-distributed-cache-service",
    "administration/manage-the-distributed-cache-service.md",
    "lines 68-76: in Central Administration, Application Management > Manage Services on Server > Distributed Cache > Start (the graceful-shutdown script ends with \"To start service, please use Central Administration site\")."
);
pub const DC_CONFLICT: &str = "Where the pages disagree about Distributed Cache (the zero-downtime page, lines 141-153, asks to remove the cache host with Remove-SPDistributedCacheServiceInstance before PSCONFIG and add it back after; \"Install a software update\", lines 503-509, and \"Manage the Distributed Cache service\", lines 210-225, ask for the graceful shutdown, with one command for 2013/2016/2019 and another for Subscription Edition, and warn that removal loses the cache's data), slipway follows the pages that name the product version: the graceful shutdown of this version before each restart and each PSCONFIG, and a start from Central Administration after.";
pub const CHECK_FARM_BUILD: &str = sp!(
    "Custom Tiles in SharePoint Server",
    "administration/custom-tiles-in-sharepoint-server",
    "administration/custom-tiles-in-sharepoint-server.md",
    "line 64: the farm's build is (Get-SPFarm).BuildVersion."
);
pub const CHECK_CONTENT_DBS: &str = sp!(
    "Upgrade content databases to SharePoint Server 2016",
    "upgrade-and-update/upgrade-content-databases",
    "upgrade-and-update/upgrade-content-databases.md",
    "lines 293-296: Get-SPContentDatabase | ft Name, NeedsUpgradeIncludeChildren, \"indicates whether the database needs an upgrade\"; Upgrade-SPContentDatabase \"Resumes a failed database upgrade or begins a build-to-build database upgrade\" (office-docs-powershell Upgrade-SPContentDatabase.md)."
);
pub const CHECK_SERVER_STATUS: &str = "\"SPProductVersions.GetServerProductInfo\" and \"SPServerProductInfo.InstallStatus\" (Microsoft Learn, SharePoint server object model reference, https://learn.microsoft.com/previous-versions/office/sharepoint-server/ee545395(v=office.15) and ee548589(v=office.15)): \"Install status indicates actions required for this server\", of type SPServerProductInfo.StatusType (ee549771: InstallRequired, UpgradeInProgress, UpgradeBlocked, UpgradeRequired, UpgradeAvailable, NoActionRequired, Unknown) — the reference is written for 2010/2013; the statuses are the ones the 2016+ Upgrade and Migration page shows (\"Software updates overview\", software-updates-overview.md lines 286-301: No action required, Installation required, Upgrade required, …).";
pub const POWERSHELL_51: &str = "\"Windows PowerShell System Requirements\" (Microsoft Learn, https://learn.microsoft.com/powershell/scripting/windows-powershell/install/windows-powershell-system-requirements; MicrosoftDocs/PowerShell-Docs reference/docs-conceptual/windows-powershell/install/Windows-PowerShell-System-Requirements.md), table \"Windows PowerShell 5.1\": Windows Server 2022, 2019 and 2016 \"Installed by default\".";
pub const SNAPIN: &str = sp!(
    "Manage the Distributed Cache service in SharePoint Server",
    "administration/manage-the-distributed-cache-service",
    "administration/manage-the-distributed-cache-service.md",
    "line 366: \"Add-PSSnapin Microsoft.Sharepoint.Powershell -ea 0\" before SharePoint cmdlets (SharePoint Server 2013/2016/2019 load the snap-in; also hybrid/configure-server-to-server-authentication.md line 165)."
);
pub const SE_MODULE: &str = sp!(
    "New and improved features in SharePoint Server Subscription Edition",
    "what-s-new/new-and-improved-features-in-sharepoint-server-subscription-edition",
    "what-s-new/new-and-improved-features-in-sharepoint-server-subscription-edition.md",
    "lines 263-268: \"SharePoint Server cmdlets are now automatically available in all Windows PowerShell consoles. You don't have to launch the SharePoint Management Shell or use the Add-PSSnapin cmdlet\"; \"These cmdlets will not be compatible with PowerShell Core 6.x or PowerShell 7.x.\""
);
pub const SWITCHES: &str = "Microsoft Security Bulletin MS10-072, German edition (https://learn.microsoft.com/de-de/security-updates/securitybulletins/2010/ms10-072): the setup switches of the SharePoint update packages of that generation, /quiet, /norestart, /log:<Protokolldatei>, /extract[:<Pfad>]; for 2013 and later packages Microsoft documents only /extract (\"Prepare to deploy software updates\", prepare-to-deploy-software-updates.md line 159, the same self-extractor). Third-party: AutoSPUpdater (brianlala/AutoSPUpdater) runs 2013-and-later packages unattended with /passive /norestart.";
pub const EXIT_CODES: &str = "\"Error codes for 2007 Office update packages\", 2007 Office Resource Kit (Microsoft TechNet cc179058, https://learn.microsoft.com/previous-versions/office/office-2007-resource-kit/cc179058(v=office.12)): 0 Success, 17022 Success: reboot flag set, 17025 Patch already installed, 17028 No product installed for contained patch, 17031 Detection: invalid baseline, 17034 Required patch does not apply to the machine. No Microsoft page states them for 2013 and later packages. Third-party: AutoSPUpdater reads the same codes from 2013-and-later packages (17028 \"Patch not required; installed product is same or newer\", 17031 \"A baseline patch … is missing!\").";
pub const SERVICING_2016: &str = sp!(
    "Updated Product Servicing Policy for SharePoint Server 2016",
    "product-servicing-policy/updated-product-servicing-policy-for-sharepoint-server-2016",
    "product-servicing-policy/updated-product-servicing-policy-for-sharepoint-server-2016.md",
    "line 40: \"RTM (16.0.4351.1000)\"; line 58: no service packs are planned."
);
pub const SERVICING_2019: &str = sp!(
    "Updated Product Servicing Policy for SharePoint 2019",
    "product-servicing-policy/updated-product-servicing-policy-for-sharepoint-2019",
    "product-servicing-policy/updated-product-servicing-policy-for-sharepoint-2019.md",
    "line 40: \"RTM (16.0.10337.12109)\"; line 58: no service packs are planned."
);
pub const SERVICING_SE: &str = sp!(
    "Updated Product Servicing Policy for SharePoint Server Subscription Edition",
    "product-servicing-policy/updated-product-servicing-policy-for-sharepoint-server-se",
    "product-servicing-policy/updated-product-servicing-policy-for-sharepoint-server-se.md",
    "line 41: \"RTM (16.0.14326.20450)|11/2/2021\"."
);
pub const PREREQ_SE: &str = sp!(
    "Software requirements for SharePoint Servers for SharePoint Server Subscription Edition",
    "install/software-requirements-for-sharepoint-servers-for-sharepoint-server-subscription-edition",
    "install/software-requirements-for-sharepoint-servers-for-sharepoint-server-subscription-edition.md",
    "line 45: \"the prerequisiteinstaller.exe tool on the SharePoint Server Subscription Edition installation disc\"."
);
pub const PREREQ_2016_2019: &str = sp!(
    "Hardware and software requirements for SharePoint Server 2016\" and \"Hardware and software requirements for SharePoint Server 2019",
    "install/hardware-and-software-requirements",
    "install/hardware-and-software-requirements.md line 235 and install/hardware-and-software-requirements-2019.md",
    "line 201: \"The SharePoint Server 2016 prerequisite installer (prerequisiteinstaller.exe)\", \"The SharePoint Server 2019 prerequisite installer (prerequisiteinstaller.exe)\"."
);
pub const PREREQ_2013: &str = sp!(
    "Install SharePoint 2013 across multiple servers for a three-tier farm",
    "install/multiple-servers-for-a-three-tier-farm",
    "install/multiple-servers-for-a-three-tier-farm.md",
    "line 117: \"locate and then run prerequisiteinstaller.exe\"."
);
pub const SE_CONFIG_XML: &str = sp!(
    "Installing SharePoint Server Subscription Edition on Windows Server Core",
    "install/installing-sharepoint-server-subscription-edition-on-windows-server-core",
    "install/installing-sharepoint-server-subscription-edition-on-windows-server-core.md",
    "line 39: \"Copy the \\Files\\SetupSilent\\config.xml file from your mounted ISO disk image\"."
);
pub const SE_LP_MEDIA: &str = sp!(
    "Install or uninstall language packs for SharePoint Servers Subscription Edition",
    "install/install-or-uninstall-language-packs-subscription",
    "install/install-or-uninstall-language-packs-subscription.md",
    "lines 81-83 and 120-124: mount the language pack's ISO and run setup.exe, unattended with /config and \"the \\Files\\SetupSilent\\config.xml file on your mounted drive\"; line 66: \"you must install the language packs on each SharePoint server\"."
);
pub const LP_2019: &str = sp!(
    "Install or uninstall language packs for SharePoint Servers 2016 and 2019",
    "install/install-uninstall-language-packs-2019",
    "install/install-uninstall-language-packs-2019.md",
    "lines 68-83: \"you must install the language packs on each SharePoint server\"; \"run serverlanguagepack.exe\"; rerun the configuration wizard after a language pack is installed."
);
pub const BASELINE_2013_SP1: &str = "Third-party: GitHub brianlala/AutoSPSourceBuilder issue #7 (2016-09-21): \"the April 2015 CU require SP1 (the re-released version and not the old or the MSDN/VLC ISO)\"; GitHub brianlala/AutoSPSourceBuilder issue #6 cites a Microsoft employee's blog (blogs.technet.microsoft.com/stefan_gossner/2015/04/14/common-issue-april-2015-fixes-for-sharepoint-2013-might-not-install-on-sharepoint-2013-sp1-slipstream-builds/), whose text was not read. The build is the re-released Service Pack 1 (KB2880552, 15.0.4571.1502) of the AutoSPSourceBuilder update inventory. No Microsoft page read states the requirement.";
pub const OOS_UPDATES: &str = "\"Apply software updates to Office Online Server\" (Microsoft Learn, https://learn.microsoft.com/officeonlineserver/apply-software-updates-to-office-online-server; MicrosoftDocs/OfficeDocs-OfficeOnlineServer OfficeOnlineServer/apply-software-updates-to-office-online-server.md) lines 43-162: automatic updates are not supported; \"There are no separate updates for Office Online Server language packs\"; the farm is re-created: remove a server from the load balancer, Remove-OfficeWebAppsMachine, install the update, New-OfficeWebAppsFarm with the parameters of Get-OfficeWebAppsFarm, then each remaining server out of the load balancer, updated and joined with New-OfficeWebAppsMachine -MachineToJoin.";
pub const OOS_BUILDS: &str = "\"Office Online Server release schedule\" (Microsoft Learn, https://learn.microsoft.com/officeonlineserver/office-online-server-release-schedule; OfficeOnlineServer/office-online-server-release-schedule.md) lines 50-54: 16.0.6814.2226 (May 2016) to 16.0.10338.20039 (November 2018).";
pub const TROUBLESHOOT_PERMISSIONS: &str = sp!(
    "Install a software update for SharePoint Server",
    "upgrade-and-update/install-a-software-update",
    "upgrade-and-update/install-a-software-update.md",
    "lines 511-518: \"After an update, you may no longer have proper registry key or file system permissions\"; resolution: Initialize-SPResourceSecurity."
);
