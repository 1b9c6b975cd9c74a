/**
 * The directory's answers, kept for MARKETPLACE_CACHE_SECONDS (default 30; 0 turns it off) per search in each
 * isolate, as guide 002 asks for public reads. Safe to share between callers: the directory query itself keeps
 * only verified, active listings (`is_verified and is_active`), which row-level security shows to everyone, so
 * its answer does not depend on who asks. Concurrent misses of one search share one query (lru-cache's fetch),
 * so a burst of browsing costs one query per search per isolate per period. A listing that is verified, edited
 * or deactivated shows after at most that period.
 */
import { LRUCache } from "npm:lru-cache@11.5.4";
import { type Env, envInt } from "../_shared/env.ts";

/** Distinct searches kept, and their answers' JSON size together (a page is up to 50 listings of up to 5,000
 * characters of bio each), so the cache stays a small part of an isolate's memory. */
const MAX_SEARCHES = 500;
const MAX_CHARACTERS = 8_000_000;

export type Listings = Record<string, unknown>[];

export interface DirectoryCache {
  /** The answer for `key`: cached, or from `load` (one call per key at a time), kept for the period. */
  get(key: string, load: () => Promise<Listings>): Promise<Listings>;
}

export function createDirectoryCache(env: Env): DirectoryCache {
  const seconds = envInt(env, "MARKETPLACE_CACHE_SECONDS", 30, 0, 3600);
  if (seconds === 0) return { get: (_key, load) => load() };
  const cache = new LRUCache<string, Listings, () => Promise<Listings>>({
    max: MAX_SEARCHES,
    maxSize: MAX_CHARACTERS,
    sizeCalculation: (listings) => Math.max(1, JSON.stringify(listings).length),
    ttl: seconds * 1000,
    fetchMethod: (_key, _stale, { context }) => context(),
  });
  return {
    async get(key, load) {
      const listings = await cache.fetch(key, { context: load });
      if (listings === undefined) throw new Error("the directory query returned nothing to cache");
      return listings;
    },
  };
}
