# Ingest's on-disk formats: the cache shards of a dataset (preprocessed samples), the manifest
# that lists them, and the coordinator's epoch ledger. Every file is framed by checked_file
# (magic, version, length, CRC-32) before this schema is read, so a truncated or corrupted file
# is detected and rebuilt (cache) or refused (ledger), never half-read.
# Specified in docs/formats/ingest-cache.md and docs/formats/ingest-ledger.md.
@0xc056d86a79ea33ed;

# One contiguous run of samples of one split: preprocessed float32 pixels and uint8 labels.
struct IngestShard {
  cacheKey @0 :Text;
  split @1 :Text;
  shardIndex @2 :UInt32;
  shardCount @3 :UInt32;
  firstSample @4 :UInt64;
  sampleCount @5 :UInt64;
  height @6 :UInt32;
  width @7 :UInt32;
  channels @8 :UInt32;
  # Row-major float32 little-endian, sampleCount × channels × height × width values.
  pixels @9 :Data;
  # One class label per sample.
  labels @10 :Data;
}

# One split as the manifest lists it.
struct IngestSplit {
  name @0 :Text;
  samples @1 :UInt64;
  # File names relative to the entry directory, in sample order.
  shardFiles @2 :List(Text);
}

# The manifest of one cache entry; written last, so its presence means every shard is complete.
struct IngestManifest {
  cacheKey @0 :Text;
  dataset @1 :Text;
  # The preprocessing record as JSON (messages/preprocessing.hpp).
  preprocessing @2 :Text;
  splits @3 :List(IngestSplit);
  createdNs @4 :Int64;
}

# One trainer's share of the epoch.
struct LedgerMember {
  trainer @0 :Text;
  # Assigned batches not yet issued, in issue order.
  queued @1 :List(UInt64);
  # Batches issued to the trainer and not yet acknowledged.
  issued @2 :List(UInt64);
  window @3 :UInt32;
  credits @4 :UInt32;
}

# The epoch ledger of an ingest coordinator.
struct EpochLedger {
  samples @0 :UInt64;
  batchSize @1 :UInt32;
  seed @2 :UInt64;
  shuffle @3 :Bool;
  # 0 = contiguous, 1 = strided.
  shardMode @4 :UInt8;
  maxEpochs @5 :UInt32;
  epoch @6 :UInt64;
  finished @7 :Bool;
  # One bit per batch of the current epoch, LSB first: acknowledged.
  done @8 :Data;
  members @9 :List(LedgerMember);
  # Batches that belong to no trainer (no members).
  unassigned @10 :List(UInt64);
  # Acknowledged batches over the ledger's life, for progress reports.
  totalAcked @11 :UInt64;
}
