// Query strings for the API's listings: only the parameters given, URL-encoded.

export type Query = Record<string, string | number | boolean | undefined>;

export function query(params: Query = {}): string {
  const parts = Object.entries(params)
    .filter((entry): entry is [string, string | number | boolean] => entry[1] !== undefined)
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`);
  return parts.length ? `?${parts.join("&")}` : "";
}

export function segment(text: string): string {
  return encodeURIComponent(text);
}
