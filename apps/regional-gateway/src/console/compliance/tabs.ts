import { subnav } from "./bits.ts";

export type ComplianceTab = "alerts" | "residency" | "jurisdiction" | "integrity";

const TABS: { key: ComplianceTab; label: string; href: string; acting?: true }[] = [
  { key: "alerts", label: "Alerts", href: "/console/compliance" },
  { key: "residency", label: "Residency validation", href: "/console/compliance/residency" },
  { key: "jurisdiction", label: "Jurisdiction report", href: "/console/compliance/jurisdiction" },
  // Verification changes object state (it marks failures): auditors cannot run it.
  { key: "integrity", label: "Integrity verification", href: "/console/compliance/integrity", acting: true },
];

/** The compliance section's own navigation; a tab the role cannot use is not shown. */
export function complianceTabs(active: ComplianceTab, canAct: boolean) {
  return subnav("Compliance", TABS.filter((t) => canAct || !t.acting).map((t) => ({ href: t.href, label: t.label, current: t.key === active })));
}
