/**
 * Data-residency rules. A storage target sits in one country; countries belong to a legal
 * zone (EU/EEA share the GDPR zone). A customer's requirement says how far from its own
 * country its bytes may travel.
 */
export type LegalZone = "EU" | "US" | "IN" | "UK" | "CH" | "CA" | "OTHER";
export type ResidencyRequirement = "strict" | "jurisdiction" | "flexible";
export const RESIDENCY_REQUIREMENTS = ["strict", "jurisdiction", "flexible"] as const;

const EEA = [
  ["AT", "Austria"], ["BE", "Belgium"], ["BG", "Bulgaria"], ["HR", "Croatia"], ["CY", "Cyprus"],
  ["CZ", "Czechia"], ["DK", "Denmark"], ["EE", "Estonia"], ["FI", "Finland"], ["FR", "France"],
  ["DE", "Germany"], ["GR", "Greece"], ["HU", "Hungary"], ["IE", "Ireland"], ["IT", "Italy"],
  ["LV", "Latvia"], ["LT", "Lithuania"], ["LU", "Luxembourg"], ["MT", "Malta"], ["NL", "Netherlands"],
  ["PL", "Poland"], ["PT", "Portugal"], ["RO", "Romania"], ["SK", "Slovakia"], ["SI", "Slovenia"],
  ["ES", "Spain"], ["SE", "Sweden"], ["IS", "Iceland"], ["LI", "Liechtenstein"], ["NO", "Norway"],
] as const;

const OTHERS: ReadonlyArray<readonly [string, string, LegalZone]> = [
  ["US", "United States", "US"], ["IN", "India", "IN"], ["GB", "United Kingdom", "UK"],
  ["CH", "Switzerland", "CH"], ["CA", "Canada", "CA"], ["JP", "Japan", "OTHER"],
  ["AU", "Australia", "OTHER"], ["SG", "Singapore", "OTHER"], ["BR", "Brazil", "OTHER"],
];

interface CountryInfo { code: string; name: string; zone: LegalZone }

const COUNTRIES = new Map<string, CountryInfo>();
for (const [code, name] of EEA) register({ code, name, zone: "EU" });
for (const [code, name, zone] of OTHERS) register({ code, name, zone });
register({ code: "US", name: "USA", zone: "US" });
register({ code: "GB", name: "UK", zone: "UK" });
register({ code: "CZ", name: "Czech Republic", zone: "EU" });

function register(info: CountryInfo): void {
  COUNTRIES.set(info.code.toLowerCase(), info);
  COUNTRIES.set(info.name.toLowerCase(), info);
}

/** Accepts an ISO 3166-1 alpha-2 code or an English country name; undefined if unknown. */
export function resolveCountry(input: string): { code: string; zone: LegalZone } | undefined {
  const info = COUNTRIES.get(input.trim().toLowerCase());
  return info && { code: info.code, zone: info.zone };
}

export function legalZoneOf(countryCode: string): LegalZone {
  return resolveCountry(countryCode)?.zone ?? "OTHER";
}

export interface ResidencySubject {
  customerId: string;
  homeRegionId: string;
  country: string; // ISO alpha-2
  requirement: ResidencyRequirement;
}

export interface StorageLocation {
  providerId: string;
  regionId: string;
  country: string; // ISO alpha-2 of where the bytes physically are
}

export type ResidencyDecision =
  | { allowed: true; crossBorder: boolean }
  | { allowed: false; crossBorder: boolean; reason: string };

/**
 * strict: bytes stay in the customer's home region and its country.
 * jurisdiction: bytes stay inside the customer's legal zone.
 * flexible: anywhere (still reported as cross-border when it leaves the zone).
 */
export function checkResidency(subject: ResidencySubject, target: StorageLocation): ResidencyDecision {
  const subjectZone = legalZoneOf(subject.country);
  const targetZone = legalZoneOf(target.country);
  const crossBorder = subject.country !== target.country;
  switch (subject.requirement) {
    case "strict":
      if (target.regionId !== subject.homeRegionId || target.country !== subject.country) {
        return {
          allowed: false,
          crossBorder,
          reason: `strict residency: ${subject.customerId} must stay in ${subject.homeRegionId}/${subject.country}, target ${target.providerId} is in ${target.regionId}/${target.country}`,
        };
      }
      return { allowed: true, crossBorder };
    case "jurisdiction":
      if (subjectZone === "OTHER" || targetZone !== subjectZone) {
        return {
          allowed: false,
          crossBorder,
          reason: `jurisdiction residency: ${subject.customerId} data must stay in legal zone ${subjectZone}, target ${target.providerId} is in ${target.country} (${targetZone})`,
        };
      }
      return { allowed: true, crossBorder };
    case "flexible":
      return { allowed: true, crossBorder };
  }
}
