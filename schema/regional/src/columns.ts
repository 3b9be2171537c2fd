import { customType } from "drizzle-orm/pg-core";

/** Text compared byte-wise, so ORDER BY and range seeks match S3's UTF-8 binary key order. */
export const binaryText = customType<{ data: string }>({
  dataType: () => 'text COLLATE "C"',
});
