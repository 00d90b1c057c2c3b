// The Berkeley DB hash file `Packages` that rpm used up to RHEL/CentOS 8 (and UBI 8): page 0 is the hash metadata,
// hash pages hold key/value pairs (the key is the package's 4-byte instance number, the value its header blob), and a
// value too large for a page lives on a chain of overflow pages. Layout after libdb's db_page.h, as rpm's own
// read-only reader (lib/backend/bdb_ro.c) and knqyf263/go-rpmdb (pkg/bdb) read it. Hash pages are read in file
// order rather than bucket by bucket: every live hash page is in some bucket, and a linear walk cannot loop.

const HASH_MAGIC = 0x061561;
const PAGE_TYPE_HASH_UNSORTED = 2;
const PAGE_TYPE_OVERFLOW = 7;
const PAGE_TYPE_HASH_META = 8;
const PAGE_TYPE_HASH = 13;
const ITEM_KEY_DATA = 1;
const ITEM_OFF_PAGE = 3;
const OFF_PAGE_ITEM_SIZE = 12;
const PAGE_HEADER_SIZE = 26;
const META_READ_SIZE = 512;
const VALID_PAGE_SIZES = new Set([512, 1024, 2048, 4096, 8192, 16384, 32768, 65536]);

interface Pages {
  file: Buffer;
  pageSize: number;
  pageCount: number;
  u16(at: number): number;
  u32(at: number): number;
  /** Overflow pages already given to a value: a page is never read twice, so a cycle ends and no page is copied twice. */
  used: Uint8Array;
}

/** The header blobs stored as values of a BDB hash `Packages` file, in file order. Never throws. */
export function readBerkeleyDbValues(file: Buffer, onProblem: (message: string) => void): Buffer[] {
  const pages = openPages(file, onProblem);
  if (!pages) return [];
  const values: Buffer[] = [];
  for (let pageNumber = 1; pageNumber < pages.pageCount; pageNumber++) {
    const start = pageNumber * pages.pageSize;
    const type = file[start + 25];
    if (type !== PAGE_TYPE_HASH && type !== PAGE_TYPE_HASH_UNSORTED) continue;
    if (pages.u32(start + 8) !== pageNumber) {
      onProblem(`hash page ${pageNumber} names itself page ${pages.u32(start + 8)}`);
      continue;
    }
    readHashPage(pages, pageNumber, values, onProblem);
  }
  return values;
}

function openPages(file: Buffer, onProblem: (message: string) => void): Pages | undefined {
  if (file.length < META_READ_SIZE) {
    onProblem(`file of ${file.length} bytes is too short for a Berkeley DB metadata page`);
    return undefined;
  }
  // The file is in the byte order of the machine that wrote it; the magic number tells which.
  const littleEndian = file.readUInt32LE(12) === HASH_MAGIC;
  if (!littleEndian && file.readUInt32BE(12) !== HASH_MAGIC) {
    onProblem('not a Berkeley DB hash file');
    return undefined;
  }
  const u16 = littleEndian ? (at: number) => file.readUInt16LE(at) : (at: number) => file.readUInt16BE(at);
  const u32 = littleEndian ? (at: number) => file.readUInt32LE(at) : (at: number) => file.readUInt32BE(at);
  const pageSize = u32(20);
  if (!VALID_PAGE_SIZES.has(pageSize)) {
    onProblem(`unsupported page size ${pageSize}`);
    return undefined;
  }
  if (file[24] !== 0) {
    onProblem('the database is encrypted');
    return undefined;
  }
  if (file[25] !== PAGE_TYPE_HASH_META) {
    onProblem(`page 0 has type ${file[25]}, not hash metadata`);
    return undefined;
  }
  const claimedPages = u32(32) + 1;
  const pagesInFile = Math.floor(file.length / pageSize);
  if (claimedPages > pagesInFile) onProblem(`the last page is ${claimedPages - 1} but the file holds ${pagesInFile} pages`);
  const pageCount = Math.min(claimedPages, pagesInFile);
  return { file, pageSize, pageCount, u16, u32, used: new Uint8Array(pageCount) };
}

/** Appends the values of one hash page. The index holds item offsets in pairs, key then value; a value occupies the
 *  bytes from its offset up to its key's. */
function readHashPage(pages: Pages, pageNumber: number, values: Buffer[], onProblem: (message: string) => void): void {
  const { file, pageSize } = pages;
  const start = pageNumber * pageSize;
  const maxEntries = Math.floor((pageSize - PAGE_HEADER_SIZE) / 2);
  let entries = pages.u16(start + 20);
  if (entries > maxEntries) {
    onProblem(`hash page ${pageNumber} claims ${entries} entries`);
    entries = maxEntries;
  }
  // Bounds the on-page bytes handed out per page, so overlapping items cannot multiply the work.
  let inlineBytes = 0;
  const firstItemOffset = PAGE_HEADER_SIZE + entries * 2;
  for (let index = 0; index + 1 < entries; index += 2) {
    const keyOffset = pages.u16(start + PAGE_HEADER_SIZE + index * 2);
    const valueOffset = pages.u16(start + PAGE_HEADER_SIZE + index * 2 + 2);
    const valueLength = keyOffset - valueOffset;
    if (keyOffset >= pageSize || valueOffset < firstItemOffset || valueLength <= 0) {
      onProblem(`hash page ${pageNumber} item ${index + 1} has a bad offset`);
      continue;
    }
    if (isInstanceCounter(pages, start, index, keyOffset)) continue;
    const itemType = file[start + valueOffset];
    if (itemType === ITEM_KEY_DATA) {
      inlineBytes += valueLength;
      if (inlineBytes > pageSize) {
        onProblem(`hash page ${pageNumber} has overlapping items`);
        return;
      }
      values.push(file.subarray(start + valueOffset + 1, start + keyOffset));
    } else if (itemType === ITEM_OFF_PAGE) {
      if (valueLength < OFF_PAGE_ITEM_SIZE) {
        onProblem(`hash page ${pageNumber} item ${index + 1} is too short for an off-page reference`);
        continue;
      }
      const value = readOverflowChain(pages, pages.u32(start + valueOffset + 4), pages.u32(start + valueOffset + 8));
      if (typeof value === 'string') onProblem(`hash page ${pageNumber} item ${index + 1}: ${value}`);
      else values.push(value);
    }
  }
}

/** rpm keeps the next free package instance under key 0: four bytes of counter, no header. A key occupies the bytes
 *  from its offset up to the previous item's (the page's end for the first item). */
function isInstanceCounter(pages: Pages, start: number, index: number, keyOffset: number): boolean {
  const keyEnd = index === 0 ? pages.pageSize : pages.u16(start + PAGE_HEADER_SIZE + (index - 1) * 2);
  return keyEnd - keyOffset === 5 && pages.file[start + keyOffset] === ITEM_KEY_DATA && pages.u32(start + keyOffset + 1) === 0;
}

/** A value spread over a chain of overflow pages, each holding its share after the page header. */
function readOverflowChain(pages: Pages, firstPage: number, totalLength: number): Buffer | string {
  const { file, pageSize } = pages;
  if (totalLength === 0 || totalLength > file.length) return `off-page value claims ${totalLength} bytes`;
  const chunks: Buffer[] = [];
  let collected = 0;
  let pageNumber = firstPage;
  while (collected < totalLength) {
    if (pageNumber === 0 || pageNumber >= pages.pageCount) return `overflow chain leads to page ${pageNumber}, outside the file`;
    if (pages.used[pageNumber]) return `overflow page ${pageNumber} is reached twice`;
    pages.used[pageNumber] = 1;
    const start = pageNumber * pageSize;
    if (file[start + 25] !== PAGE_TYPE_OVERFLOW) return `page ${pageNumber} in an overflow chain has type ${file[start + 25]}`;
    const bytesOnPage = pages.u16(start + 22);
    if (PAGE_HEADER_SIZE + bytesOnPage > pageSize || bytesOnPage > totalLength - collected) {
      return `overflow page ${pageNumber} claims ${bytesOnPage} bytes`;
    }
    chunks.push(file.subarray(start + PAGE_HEADER_SIZE, start + PAGE_HEADER_SIZE + bytesOnPage));
    collected += bytesOnPage;
    pageNumber = pages.u32(start + 16);
  }
  return Buffer.concat(chunks, totalLength);
}
