# Snapshot: the on-disk record of one supervised child's recoverable state, as kept by the
# runtime's file snapshot store. The payload is opaque to the runtime; the role that owns the
# child decides its content. Files are framed by checked_file (magic, version, length, CRC-32),
# so a truncated or corrupted snapshot is detected before this message is read.
@0xd36769c33deac272;

struct Snapshot {
  formatVersion @0 :UInt16;
  key @1 :Text;
  sequence @2 :UInt64;
  payload @3 :Data;
}
