#!/usr/bin/env python3
"""Generates data/splunk-data-sources.tsv from Splunk ESCU's data-source definitions.

ESCU names what a detection reads in `data_source:` (`Sysmon EventID 1`, `Windows Event
Log Security 4688`); its `data_sources/*.yml` say what each name is (`source`,
`sourcetype`, an event id in the name). This script turns each definition into ATT&CK
Enterprise platforms and ATT&CK v18 data components, by the source (which log, hence
which platform) and the event id (which data component, as ATT&CK's own analytics map
`WinEventLog:Sysmon EventCode=1` or `WinEventLog:Security EventCode=4688` to Process
Creation). The table is committed: users do not have ESCU's files.

Usage: scripts/gen_splunk_data_sources.py [DATA_SOURCES_DIR] > data/splunk-data-sources.tsv
(default DATA_SOURCES_DIR: ../shared/fixtures/splunk-data-sources). Needs PyYAML.
"""
import glob
import os
import re
import sys

import yaml

# (source pattern, platforms, scope): the first match wins. Scope as in
# data/sigma-logsources.tsv: host, network (a network sensor), application.
SOURCES = [
    (r"^(Xml)?WinEventLog:|^eventhub://windowsdefender|^powershell://|^IIS:", "Windows", "host"),
    (r"^ActiveDirectory$", "Windows", "host"),
    (r"^/var/log/audit/|^/var/log/secure$|^Syslog:Linux-Sysmon", "Linux", "host"),
    (r"^crowdstrike$|^osquery$", "Windows,Linux,macOS", "host"),
    (r"^aws", "IaaS", "host"),
    (r"^Azure AD$", "Identity Provider", "host"),
    (r"^mscs:azure:audit$", "IaaS", "host"),
    (r"^Okta$", "Identity Provider", "host"),
    (r"^o365$", "Office Suite", "host"),
    (r"^gws:|^http:gsuite$", "Office Suite", "host"),
    (r"^github$|^circleci$", "SaaS", "host"),
    (r"^kubernetes$", "Containers", "host"),
    (r"^pan:|^screenconnect_palo_traffic$|^ivanti_vtm$", "Network Devices", "host"),
    (r"^stream:|^bro:|^suricata$", "", "network"),
    (r"^/var/log/nginx/|^crushftp$|^splunkd_ui_access", "", "application"),
]

# Event ids (the number at the end of the name) per log, as ATT&CK v18's analytics map them.
SYSMON = {
    1: "Process Creation", 2: "File Modification", 3: "Network Connection Creation",
    5: "Process Termination", 6: "Driver Load", 7: "Module Load", 8: "Process Access",
    9: "Drive Access", 10: "Process Access", 11: "File Creation",
    12: "Windows Registry Key Creation", 13: "Windows Registry Key Modification",
    14: "Windows Registry Key Modification", 15: "File Metadata", 17: "Named Pipe Metadata",
    18: "Named Pipe Metadata", 19: "WMI Creation", 20: "WMI Creation", 21: "WMI Creation",
    22: "Network Traffic Content", 23: "File Deletion", 25: "Process Modification",
    26: "File Deletion",
}
SECURITY = {
    1102: "Application Log Content", 4624: "Logon Session Creation",
    4625: "User Account Authentication", 4648: "User Account Authentication",
    4657: "Windows Registry Key Modification", 4661: "Active Directory Object Access",
    4662: "Active Directory Object Access", 4663: "File Access", 4672: "Logon Session Metadata",
    4688: "Process Creation", 4697: "Service Creation", 4698: "Scheduled Job Creation",
    4702: "Scheduled Job Modification", 4720: "User Account Creation",
    4732: "Group Modification", 4738: "User Account Modification",
    4742: "Active Directory Object Modification", 4768: "Active Directory Credential Request",
    4769: "Active Directory Credential Request", 4771: "User Account Authentication",
    4776: "User Account Authentication", 4781: "User Account Modification",
    5136: "Active Directory Object Modification", 5140: "Network Share Access",
    5145: "Network Share Access", 4703: "User Account Modification",
    4794: "Active Directory Object Modification", 4886: "Certificate Registration",
    4887: "Certificate Registration", 4800: "Logon Session Metadata",
}
SYSTEM = {7045: "Service Creation", 7036: "Service Metadata", 7040: "Service Modification",
          104: "Application Log Content", 6005: "Host Status", 6006: "Host Status"}
POWERSHELL = {4103: "Script Execution", 4104: "Script Execution"}

# Keywords in the name, for sources without event ids (first match wins).
KEYWORDS = [
    (r"Execve|ProcessRollup|Proctitle|Syscall|Falco", "Process Creation"),
    (r"Add User|Create.*User|Invite external user|CreateLoginProfile", "User Account Creation"),
    (r"Sign-in|Login|Logon|ConsoleLogin|UserLoggedIn|login_", "Logon Session Creation"),
    (r"Service Stop", "Service Modification"),
    (r"Path$", "File Access"),
    (r"GetObject|CopyObject|Drive|MailItemsAccessed", "Cloud Storage Access"),
    (r"Bucket|Snapshot", "Cloud Storage Modification"),
    (r"VPCflow|Traffic|stream:ip|stream:tcp", "Network Traffic Flow"),
    (r"Threat|http|Bro|Suricata|Cloudfront|Nginx", "Network Traffic Content"),
    (r"AWS CloudTrail|Azure|O365|Okta|Google|G Suite|GitHub|CircleCI|Kubernetes", "Cloud Service Modification"),
]


def event_id(name):
    m = re.search(r"(\d+)$", name.strip())
    return int(m.group(1)) if m else None


def components(name, source):
    eid = event_id(name)
    if name.startswith("Sysmon") and eid is not None:
        return SYSMON.get(eid, "")
    if "Security" in source and eid is not None:
        return SECURITY.get(eid, "")
    if source.endswith(":System") and eid is not None:
        return SYSTEM.get(eid, "")
    if "PowerShell" in source or "Powershell" in name:
        return POWERSHELL.get(eid, "Script Execution")
    if "Windows Defender" in source or source.startswith("eventhub://windowsdefender"):
        return "Application Log Content"
    if source.startswith("WinEventLog:") or source.startswith("XmlWinEventLog:"):
        return "Application Log Content"
    for pattern, dc in KEYWORDS:
        if re.search(pattern, name) or re.search(pattern, source):
            return dc
    return ""


def main():
    folder = sys.argv[1] if len(sys.argv) > 1 else "../shared/fixtures/splunk-data-sources"
    rows = []
    for path in sorted(glob.glob(os.path.join(folder, "*.yml"))):
        with open(path, encoding="utf-8") as f:
            d = yaml.safe_load(f)
        name, source = d["name"].strip(), str(d.get("source", "")).strip()
        platforms, scope = "", "application"
        for pattern, p, s in SOURCES:
            if re.search(pattern, source):
                platforms, scope = p, s
                break
        else:
            sys.exit(f"{path}: source `{source}` matches no pattern; add one to SOURCES")
        rows.append((name, scope, platforms, components(name, source), source, str(d.get("sourcetype", ""))))
    print("# Splunk ESCU data sources -> ATT&CK platforms and v18 data components.")
    print("# Generated by scripts/gen_splunk_data_sources.py from ESCU's data_sources/ (October 2024);")
    print("# do not edit by hand. Columns (tab-separated): name (as in a detection's `data_source:`),")
    print("# scope (host | network | application, as in data/sigma-logsources.tsv), platforms (`,`),")
    print("# components (data component names, `,`), source, sourcetype.")
    print("# name\tscope\tplatforms\tcomponents\tsource\tsourcetype")
    for r in sorted(rows, key=lambda r: r[0].lower()):
        print("\t".join(r))


if __name__ == "__main__":
    main()
