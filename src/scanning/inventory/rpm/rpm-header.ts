// An rpm header blob, as each rpmdb backend stores one per installed package: a big-endian index count and data
// length, that many 16-byte index entries (tag, type, offset into the data, count), then the data. rpm prepends a
// "region" entry (tag 63, HEADERIMMUTABLE) whose data is a trailer; entries after the region ("dribble" entries)
// replace earlier ones with the same tag. Only the few tags an inventory needs are decoded.

/** The identity of one installed rpm, as `rpm -q --qf '%{NAME} %{EPOCH} %{VERSION} …'` prints it. */
export interface RpmHeader {
  name: string;
  version: string;
  release: string;
  epoch?: number;
  arch?: string;
  /** `name-version-release.src.rpm` of the source package the binary was built from. */
  sourceRpm?: string;
  vendor?: string;
}

const TAG = { name: 1000, version: 1001, release: 1002, epoch: 1003, vendor: 1011, arch: 1022, sourceRpm: 1044 } as const;
type Field = keyof typeof TAG;
const FIELD_OF_TAG = new Map<number, Field>(Object.entries(TAG).map(([field, tag]) => [tag, field as Field]));

const TYPE_INT32 = 4;
const TYPE_STRING = 6;
const TYPE_STRING_ARRAY = 8;
const TYPE_I18N_STRING = 9;

const PREAMBLE_SIZE = 8;
const ENTRY_SIZE = 16;
// rpm's own limits (header.c hdrchkTags / hdrchkData): a header with more entries or data is refused by rpm too,
// so these caps lose nothing real and bound the work a hostile blob can ask for.
const MAX_ENTRIES = 0xffff;
const MAX_DATA_LENGTH = 16 * 1024 * 1024;

/** Decodes the package identity from one header blob, or says why it cannot. Never throws. */
export function parseRpmHeader(blob: Buffer): RpmHeader | string {
  if (blob.length < PREAMBLE_SIZE) return `header of ${blob.length} bytes is shorter than its preamble`;
  const entryCount = blob.readUInt32BE(0);
  const dataLength = blob.readUInt32BE(4);
  if (entryCount === 0 || entryCount > MAX_ENTRIES) return `header claims ${entryCount} index entries`;
  if (dataLength > MAX_DATA_LENGTH) return `header claims ${dataLength} bytes of data`;
  const dataStart = PREAMBLE_SIZE + entryCount * ENTRY_SIZE;
  const dataEnd = dataStart + dataLength;
  if (dataEnd > blob.length) return `header needs ${dataEnd} bytes but has ${blob.length}`;

  // Only the last entry of each wanted tag counts (a dribble entry replaces the region's), so find those first and
  // decode at most one entry per field: repeating a tag thousands of times then costs nothing.
  const lastEntryOf = new Map<Field, number>();
  for (let index = 0; index < entryCount; index++) {
    const field = FIELD_OF_TAG.get(blob.readInt32BE(PREAMBLE_SIZE + index * ENTRY_SIZE));
    if (field) lastEntryOf.set(field, PREAMBLE_SIZE + index * ENTRY_SIZE);
  }
  const data = blob.subarray(dataStart, dataEnd);
  const text = (field: Field): string | undefined => {
    const at = lastEntryOf.get(field);
    return at === undefined ? undefined : readString(data, blob.readUInt32BE(at + 4), blob.readInt32BE(at + 8), blob.readUInt32BE(at + 12));
  };

  const name = text('name');
  const version = text('version');
  const release = text('release');
  if (name === undefined || version === undefined || release === undefined) return 'header has no readable NAME, VERSION and RELEASE';
  const header: RpmHeader = { name, version, release };
  const epochAt = lastEntryOf.get('epoch');
  if (epochAt !== undefined) {
    const epoch = readInt32(data, blob.readUInt32BE(epochAt + 4), blob.readInt32BE(epochAt + 8), blob.readUInt32BE(epochAt + 12));
    if (epoch !== undefined) header.epoch = epoch;
  }
  const arch = text('arch');
  if (arch !== undefined) header.arch = arch;
  const sourceRpm = text('sourceRpm');
  if (sourceRpm !== undefined) header.sourceRpm = sourceRpm;
  const vendor = text('vendor');
  if (vendor !== undefined) header.vendor = vendor;
  return header;
}

/** The first string of a string-typed entry: NUL-terminated inside the data, else undefined. */
function readString(data: Buffer, type: number, offset: number, count: number): string | undefined {
  if (type !== TYPE_STRING && type !== TYPE_STRING_ARRAY && type !== TYPE_I18N_STRING) return undefined;
  if (count < 1 || offset < 0 || offset >= data.length) return undefined;
  const end = data.indexOf(0, offset);
  return end < 0 ? undefined : data.toString('utf8', offset, end);
}

/** rpm stores EPOCH as an unsigned 32-bit integer and prints it that way. */
function readInt32(data: Buffer, type: number, offset: number, count: number): number | undefined {
  if (type !== TYPE_INT32 || count < 1 || offset < 0 || offset + 4 > data.length) return undefined;
  return data.readUInt32BE(offset);
}
