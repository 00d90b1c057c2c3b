// SUSE's "NDB" `Packages.db` (rpm's lib/backend/ndb/rpmpkg.c; knqyf263/go-rpmdb pkg/ndb). Everything is little-endian
// and counted in 16-byte blocks. A 32-byte file header (magic "RpmP", version 0, generation, number of slot pages)
// shares the first 4 KiB slot page with the slots that follow it; each 16-byte slot ("Slot" magic, package index,
// block offset, block count) points at a blob: a 16-byte head ("BlbS", package index, generation, length), the header
// blob itself, then padding and a 12-byte tail (checksum, length, "BlbE"). A slot with block offset 0 is free.

const FILE_MAGIC = 0x506d7052; // "RpmP"
const SLOT_MAGIC = 0x746f6c53; // "Slot"
const BLOB_HEAD_MAGIC = 0x53626c42; // "BlbS"
const BLOB_TAIL_MAGIC = 0x45626c42; // "BlbE"
const FILE_HEADER_SIZE = 32;
const SLOT_PAGE_SIZE = 4096;
const SLOT_SIZE = 16;
const BLOCK_SIZE = 16;
const BLOB_HEAD_SIZE = 16;
const BLOB_TAIL_SIZE = 12;

interface Slot {
  packageIndex: number;
  blockOffset: number;
  blockCount: number;
}

/** The header blobs of an NDB `Packages.db`, in the order of their place in the file. Never throws. */
export function readNdbBlobs(file: Buffer, onProblem: (message: string) => void): Buffer[] {
  if (file.length < FILE_HEADER_SIZE) {
    onProblem(`file of ${file.length} bytes is too short for an NDB header`);
    return [];
  }
  if (file.readUInt32LE(0) !== FILE_MAGIC || file.readUInt32LE(4) !== 0) {
    onProblem('not an NDB Packages.db of version 0');
    return [];
  }
  const slots = readSlots(file, onProblem);
  const blobs: Buffer[] = [];
  // Blobs of a sound database never overlap; refusing overlaps keeps the work proportional to the file's size.
  let endOfPrevious = 0;
  for (const slot of slots.sort((a, b) => a.blockOffset - b.blockOffset)) {
    const start = slot.blockOffset * BLOCK_SIZE;
    if (start < endOfPrevious) {
      onProblem(`the blob of package ${slot.packageIndex} overlaps another`);
      continue;
    }
    const blob = readBlob(file, slot);
    if (typeof blob === 'string') {
      onProblem(`package ${slot.packageIndex}: ${blob}`);
      continue;
    }
    endOfPrevious = start + slot.blockCount * BLOCK_SIZE;
    blobs.push(blob);
  }
  return blobs;
}

/** The used slots. Their count is bounded by the file's size: a slot page the file does not hold is not read, and
 *  the slots end early where one lacks its magic (a header claiming too many slot pages). */
function readSlots(file: Buffer, onProblem: (message: string) => void): Slot[] {
  const claimedPages = file.readUInt32LE(12);
  const pagesInFile = Math.floor(file.length / SLOT_PAGE_SIZE);
  if (claimedPages > pagesInFile) onProblem(`the header claims ${claimedPages} slot pages but the file holds ${pagesInFile}`);
  let slotsEnd = Math.min(claimedPages, pagesInFile) * SLOT_PAGE_SIZE;
  const slots: Array<Slot & { at: number }> = [];
  for (let at = FILE_HEADER_SIZE; at < slotsEnd; at += SLOT_SIZE) {
    if (file.readUInt32LE(at) !== SLOT_MAGIC) {
      onProblem(`slot at byte ${at} has no slot magic`);
      slotsEnd = Math.ceil(at / SLOT_PAGE_SIZE) * SLOT_PAGE_SIZE;
      break;
    }
    const blockOffset = file.readUInt32LE(at + 8);
    if (blockOffset !== 0) slots.push({ at, packageIndex: file.readUInt32LE(at + 4), blockOffset, blockCount: file.readUInt32LE(at + 12) });
  }
  // Blobs start after the slot pages.
  return slots.filter((slot) => {
    const sound = slot.blockOffset * BLOCK_SIZE >= slotsEnd && slot.packageIndex !== 0 && slot.blockCount !== 0;
    if (!sound) onProblem(`slot at byte ${slot.at} is malformed`);
    return sound;
  });
}

/** One blob, checked as rpm checks it when reading: both magics, the package index, and a length that fits the
 *  blocks exactly (rpm verifies the Adler-32 checksum only in its explicit verify mode, and so do we not). */
function readBlob(file: Buffer, slot: Slot): Buffer | string {
  const start = slot.blockOffset * BLOCK_SIZE;
  const end = start + slot.blockCount * BLOCK_SIZE;
  if (end > file.length) return `blob at byte ${start} runs past the end of the file`;
  if (slot.blockCount * BLOCK_SIZE < BLOB_HEAD_SIZE + BLOB_TAIL_SIZE) return `blob at byte ${start} is too small`;
  if (file.readUInt32LE(start) !== BLOB_HEAD_MAGIC) return `no blob head at byte ${start}`;
  if (file.readUInt32LE(start + 4) !== slot.packageIndex) return `blob at byte ${start} belongs to package ${file.readUInt32LE(start + 4)}`;
  const length = file.readUInt32LE(start + 12);
  if (Math.ceil((BLOB_HEAD_SIZE + length + BLOB_TAIL_SIZE) / BLOCK_SIZE) !== slot.blockCount) {
    return `blob length ${length} does not fit its ${slot.blockCount} blocks`;
  }
  const tail = end - BLOB_TAIL_SIZE;
  if (file.readUInt32LE(tail + 4) !== length || file.readUInt32LE(tail + 8) !== BLOB_TAIL_MAGIC) return `blob at byte ${start} has a bad tail`;
  return file.subarray(start + BLOB_HEAD_SIZE, start + BLOB_HEAD_SIZE + length);
}
