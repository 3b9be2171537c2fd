/**
 * Where a public cloud's named region physically is (ISO 3166-1 alpha-2), so a customer's
 * own AWS bucket can be placed in a country without asking. Other S3-compatible services
 * name regions freely (`garage`, `auto`, `us-east-1` on a laptop), so for them the country
 * must be stated, never guessed from the name.
 */
const AWS_REGION_COUNTRIES: Readonly<Record<string, string>> = {
  "us-east-1": "US", "us-east-2": "US", "us-west-1": "US", "us-west-2": "US",
  "us-gov-east-1": "US", "us-gov-west-1": "US",
  "ca-central-1": "CA", "ca-west-1": "CA",
  "eu-central-1": "DE", "eu-central-2": "CH",
  "eu-north-1": "SE",
  "eu-west-1": "IE", "eu-west-2": "GB", "eu-west-3": "FR",
  "eu-south-1": "IT", "eu-south-2": "ES",
  "ap-south-1": "IN", "ap-south-2": "IN",
  "ap-northeast-1": "JP", "ap-northeast-3": "JP",
  "ap-southeast-1": "SG", "ap-southeast-2": "AU", "ap-southeast-4": "AU",
  "sa-east-1": "BR",
};

/** The country of a well-known AWS region name; undefined for anything else. */
export function awsRegionCountry(region: string): string | undefined {
  return Object.hasOwn(AWS_REGION_COUNTRIES, region) ? AWS_REGION_COUNTRIES[region] : undefined;
}

/**
 * The metro each AWS region name is in, to tell whether one names the same place as a region
 * of this deployment (whose topology name starts with its city: "Frankfurt, Germany").
 */
const AWS_REGION_METROS: Readonly<Record<string, string>> = {
  "us-east-1": "virginia", "us-east-2": "ohio", "us-west-1": "california", "us-west-2": "oregon",
  "ca-central-1": "montreal", "ca-west-1": "calgary",
  "eu-central-1": "frankfurt", "eu-central-2": "zurich", "eu-north-1": "stockholm",
  "eu-west-1": "dublin", "eu-west-2": "london", "eu-west-3": "paris", "eu-south-1": "milan", "eu-south-2": "aragon",
  "ap-south-1": "mumbai", "ap-south-2": "hyderabad", "ap-northeast-1": "tokyo", "ap-northeast-3": "osaka",
  "ap-southeast-1": "singapore", "ap-southeast-2": "sydney", "ap-southeast-4": "melbourne", "sa-east-1": "sao paulo",
};

/** Whether an AWS region name is in the same metro and country as a region named `<City>, <Country>`. */
export function awsRegionIsAt(awsRegion: string, place: { name: string; country: string }): boolean {
  if (!Object.hasOwn(AWS_REGION_METROS, awsRegion)) return false;
  const city = place.name.split(",")[0]!.trim().toLowerCase();
  return AWS_REGION_METROS[awsRegion] === city && awsRegionCountry(awsRegion) === place.country;
}
