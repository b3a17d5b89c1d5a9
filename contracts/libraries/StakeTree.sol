// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title StakeTree
/// @notice Stake-weighted selection: an 8-ary sum tree over members' 32-bit weights with
/// O(log n) `set` and `draw`, and exact sampling of k distinct members without replacement
/// in a view. The total weight of all members never exceeds `type(uint32).max`.
/// @dev Layout and tricks (against Kleros' SortitionSumTree, Keep's sortition-pools, Aragon's HexSumTree):
/// @dev - A node is (height h ≥ 1, position p); its slot packs 8 uint32 lanes, lane j = the sum of
///   subtree (h − 1, 8p + j), where (0, x) is leaf x. One slot per level, as in Keep, where
///   Kleros and Aragon spend a full slot per child sum.
/// @dev - Bottom-up indexing: leaf x's ancestor at height h is (h, x >> 3h) whatever the tree's
///   height, so the tree grows by adding a level on top and never moves a leaf; an update touches
///   ⌈log8 n⌉ slots, not a fixed depth (Keep always writes 7).
/// @dev - The root (H, 0) lives in the header slot `_top`: lanes 0..6 are its child sums and the
///   top 32 bits (lane 7) hold H − 1. The root therefore has 7 children and the tree holds
///   7·8^(H−1) leaves; on the leaf that exceeds this the root's lanes move once to node (H, 0),
///   whose lane 7 takes the new leaf, and the new root's lane 0 is the old total. The height thus
///   costs no SLOAD of its own on any path (saves 2,100 gas per `set`, `draw` and `sample`).
/// @dev - A leaf's weight is only stored as its lane in node (1, x >> 3): reading the old weight
///   and updating the first level is the same slot. Slot (0, x) holds leaf x's member.
/// @dev - Nodes are addressed like a dynamic array's data: (h, p) is slot keccak256(slot of
///   `_nodes`) + (h << 128 | p), the base hashed once per call instead of a KECCAK per level
///   as a mapping would need. `_nodes` is never pushed to (its length stays 0); its data area
///   is reserved to it as any dynamic array's is, and keys stay below 2^136.
/// @dev - Free leaves form a LIFO list threaded through their (0, x) slots (a free leaf's slot
///   holds the next free leaf + 1), so churn reuses leaves instead of growing the tree.
/// @dev - Selection descends from the root, one SLOAD per level. Within a node the lanes' prefix
///   sums come from a single MUL by 0x…0001_00000001 (no lane carries: each prefix sum ≤ total
///   < 2^32). The lane holding offset r is the number of prefix sums ≤ r, counted branch-free:
///   with the even and the odd lanes spread into four 64-bit fields, (2^32 + r) − prefix has bit
///   32 set exactly where prefix ≤ r, and a MUL by 1 in each field adds up the flags.
library StakeTree {
    /// @notice `draw` on a tree whose total weight is zero.
    error StakeTreeEmpty();
    /// @notice A `set` would raise the total weight above `type(uint32).max`.
    /// @param total The total the update would have produced (saturated at `type(uint256).max`).
    error StakeTreeWeightOverflow(uint256 total);

    /// @notice A set of members with weights; opaque to callers.
    struct Tree {
        // The root's lanes 0..6 | (height − 1) << 224.
        uint256 _top;
        // next unused leaf | members with weight > 0 << 64 | (first free leaf + 1) << 128.
        uint256 _meta;
        mapping(address member => uint256 leafPlusOne) _leafOf;
        // Only the data area is used: node (h, p) at index h << 128 | p (see the layout notes).
        uint256[] _nodes;
    }

    /// @notice The largest total weight a tree can hold (a 32-bit lane holds any subtree sum).
    uint256 internal constant MAX_TOTAL = type(uint32).max;

    uint256 private constant LANE_MASK = 0xffffffff;
    uint256 private constant HEIGHT_SHIFT = 224;
    uint256 private constant ROOT_LANES_MASK = 0x00000000ffffffffffffffffffffffffffffffffffffffffffffffffffffffff;
    /// @dev x * LANE_ONES puts the prefix sum of x's lanes 0..j in lane j (lane 7 = node total).
    uint256 private constant LANE_ONES = 0x0000000100000001000000010000000100000001000000010000000100000001;
    /// @dev Lanes 0, 2, 4, 6 in place: splits a node into four 64-bit fields with 32 spare bits.
    uint256 private constant EVEN_LANES = 0x00000000ffffffff00000000ffffffff00000000ffffffff00000000ffffffff;
    /// @dev 1 in each 64-bit field: broadcasts a value to, or sums, the four fields.
    uint256 private constant FIELD_ONES = 0x0000000000000001000000000000000100000000000000010000000000000001;
    uint256 private constant FIELD_MASK = 0xffffffffffffffff;
    uint256 private constant COUNT_SHIFT = 64;
    uint256 private constant FREE_SHIFT = 128;
    uint256 private constant FREE_MASK = FIELD_MASK << FREE_SHIFT;
    uint256 private constant ADDRESS_MASK = 0x00ffffffffffffffffffffffffffffffffffffffff;

    // ------------------------------------------------------------------ writes

    /// @notice Sets `member`'s weight; 0 removes it. A new member takes a free leaf (or the next
    /// unused one); a removed member's leaf goes back to the free list.
    /// @dev Reverts with {StakeTreeWeightOverflow} if the total would exceed {MAX_TOTAL}.
    function set(Tree storage t, address member, uint256 weight) internal {
        uint256 leafPlusOne = t._leafOf[member];
        if (leafPlusOne == 0) {
            if (weight != 0) _insert(t, member, weight);
        } else {
            // leafPlusOne != 0
            unchecked {
                _update(t, member, leafPlusOne - 1, weight);
            }
        }
    }

    // ------------------------------------------------------------------ views

    /// @notice `member`'s weight (0 if it is not in the tree).
    function weightOf(Tree storage t, address member) internal view returns (uint256) {
        uint256 leafPlusOne = t._leafOf[member];
        if (leafPlusOne == 0) return 0;
        // leafPlusOne != 0
        unchecked {
            return _leafWeight(_base(t), t._top, leafPlusOne - 1);
        }
    }

    /// @notice The sum of all members' weights.
    function total(Tree storage t) internal view returns (uint256) {
        return _rootTotal(t._top);
    }

    /// @notice The number of members with weight > 0.
    function count(Tree storage t) internal view returns (uint256) {
        return (t._meta >> COUNT_SHIFT) & FIELD_MASK;
    }

    /// @notice Draws one member with probability weight / total.
    /// @dev Same member as `sample(t, seed, 1, [])[0]`: offset r = keccak256(abi.encode(seed, 0))
    /// mod total, then the member whose weight interval (in leaf order) contains r. Modulo bias is
    /// below total / 2^256 < 2^-224. Reverts with {StakeTreeEmpty} if the total is 0.
    function draw(Tree storage t, uint256 seed) internal view returns (address member) {
        uint256 top = t._top;
        if (_rootTotal(top) == 0) revert StakeTreeEmpty();
        // The pick is written to scratch memory at the free memory pointer, never allocated.
        uint256 entry;
        assembly ("memory-safe") {
            entry := mload(0x40)
        }
        _pick(_base(t), top, seed, 1, entry, entry);
        assembly ("memory-safe") {
            member := and(mload(entry), ADDRESS_MASK)
        }
    }

    /// @notice Samples up to `k` distinct members without replacement, each pick proportional to
    /// weight among the members not yet picked and not in `exclude`. Returns fewer than `k`
    /// (possibly none) when fewer selectable members exist: then it returns all of them.
    /// @dev Pick i uses offset keccak256(abi.encode(seed, i)) mod (total − picked − excluded
    /// weight) and descends as {draw} does, subtracting in memory the weights of picked and
    /// excluded members from the lanes on their paths. No storage writes, no rejection loop:
    /// O((k + |exclude|) · k · height) memory arithmetic. Duplicates and non-members in `exclude`
    /// are ignored.
    /// @dev The result array is built in place at the free memory pointer: first the excluded
    /// leaves, then each pick appended (nothing else allocates meanwhile), as packed words
    /// leaf << 192 | weight << 160 | member, so one contiguous scan serves both lists. At the end
    /// the picks are moved down over the excluded words (MCOPY) and masked to addresses. Memory
    /// is paid per pick made, not per `k` asked: an oversized `k` is harmless.
    function sample(Tree storage t, uint256 seed, uint256 k, address[] memory exclude)
        internal
        view
        returns (address[] memory chosen)
    {
        uint256 entries;
        assembly ("memory-safe") {
            chosen := mload(0x40)
            entries := add(chosen, 0x20)
        }
        uint256 base = _base(t);
        (uint256 top, uint256 picks) = _writeExcluded(t, base, exclude, entries);
        uint256 end = _pick(base, top, seed, k, entries, picks);
        assembly ("memory-safe") {
            let size := sub(end, picks)
            mcopy(entries, picks, size)
            end := add(entries, size)
            for { let q := entries } lt(q, end) { q := add(q, 0x20) } { mstore(q, and(mload(q), ADDRESS_MASK)) }
            mstore(chosen, shr(5, size))
            mstore(0x40, end)
        }
    }

    // ------------------------------------------------------------------ internals

    function _insert(Tree storage t, address member, uint256 weight) private {
        uint256 top = t._top;
        uint256 before = _rootTotal(top);
        if (weight > MAX_TOTAL - before) revert StakeTreeWeightOverflow(_saturatingAdd(before, weight));
        uint256 base = _base(t);
        uint256 meta = t._meta;
        uint256 leaf;
        uint256 freePlusOne = meta >> FREE_SHIFT;
        // Field arithmetic stays within 64 bits: leaves and members number < 2^32 since each member
        // has weight ≥ 1 and the total is < 2^32; freePlusOne != 0 where decremented; slot
        // indices base + key wrap mod 2^256 like an array's, by design.
        unchecked {
            if (freePlusOne != 0) {
                leaf = freePlusOne - 1;
                meta = (meta & ~FREE_MASK) | (_sload(base + leaf) << FREE_SHIFT);
            } else {
                leaf = meta & FIELD_MASK;
                meta += 1;
                uint256 height = (top >> HEIGHT_SHIFT) + 1;
                if (leaf == 7 << (3 * height - 3)) {
                    // The root is full: it becomes node (H, 0) and a new root sits above it.
                    _sstore(base + (height << 128), top & ROOT_LANES_MASK);
                    top = (height << HEIGHT_SHIFT) | before;
                }
            }
            t._meta = meta + (1 << COUNT_SHIFT);
            // Slot (0, leaf) = base + leaf.
            _sstore(base + leaf, uint160(member));
        }
        t._leafOf[member] = leaf + 1;
        t._top = _addAlongPath(base, top, leaf, weight);
    }

    function _update(Tree storage t, address member, uint256 leaf, uint256 weight) private {
        uint256 top = t._top;
        uint256 base = _base(t);
        uint256 old = _leafWeight(base, top, leaf);
        if (weight == old) return;
        // old is one of the summands of the total.
        uint256 rest;
        unchecked {
            rest = _rootTotal(top) - old;
        }
        if (weight > MAX_TOTAL - rest) revert StakeTreeWeightOverflow(_saturatingAdd(rest, weight));
        // Two's-complement delta: adding it to a lane that contains the old weight yields the new
        // lane value in [0, MAX_TOTAL], so no borrow or carry leaves the lane (see _addAlongPath).
        unchecked {
            t._top = _addAlongPath(base, top, leaf, weight - old);
        }
        if (weight == 0) {
            delete t._leafOf[member];
            uint256 meta = t._meta;
            // count ≥ 1 (this member); leaf + 1 < 2^64; slot (0, leaf) = base + leaf.
            unchecked {
                _sstore(base + leaf, meta >> FREE_SHIFT);
                t._meta = ((meta & ~FREE_MASK) | ((leaf + 1) << FREE_SHIFT)) - (1 << COUNT_SHIFT);
            }
        }
    }

    /// @dev Adds `delta` (mod 2^256) to leaf `leaf`'s lane on every level below the root, and
    /// returns `top` with it added to the root lane. Callers guarantee each resulting lane value
    /// is in [0, MAX_TOTAL], so the 256-bit wrapping add changes exactly that lane.
    function _addAlongPath(uint256 base, uint256 top, uint256 leaf, uint256 delta) private returns (uint256) {
        assembly ("memory-safe") {
            let height := add(shr(HEIGHT_SHIFT, top), 1)
            for { let h := 1 } lt(h, height) { h := add(h, 1) } {
                let slot := add(base, or(shl(128, h), shr(mul(3, h), leaf)))
                sstore(slot, add(sload(slot), shl(shl(5, and(shr(sub(mul(3, h), 3), leaf), 7)), delta)))
            }
            top := add(top, shl(shl(5, shr(sub(mul(3, height), 3), leaf)), delta))
        }
        return top;
    }

    /// @dev Makes up to `k` picks (pick i: offset keccak256(abi.encode(seed, i)) mod the remaining
    /// total), appending each as leaf << 192 | weight << 160 | member at `end`, and returns the new
    /// end. `top`'s root lanes must already exclude the removed leaves listed in [entries, end)
    /// (distinct members, packed likewise). A pick descends from the root, one SLOAD per level,
    /// subtracting the listed leaves below each node from its lanes (leaf x sits in lane
    /// (x >> 3(h−1)) & 7 of node (h, x >> 3h)); every adjusted lane is thus the true sum of the
    /// remaining leaves below it, and the root lanes are adjusted once per pick instead of per scan.
    function _pick(uint256 base, uint256 top, uint256 seed, uint256 k, uint256 entries, uint256 end)
        private
        view
        returns (uint256)
    {
        assembly ("memory-safe") {
            let height := add(shr(HEIGHT_SHIFT, top), 1)
            top := and(top, ROOT_LANES_MASK) // from here on: the remaining root lanes
            let remaining := shr(HEIGHT_SHIFT, mul(top, LANE_ONES))
            mstore(0x00, seed) // scratch word 0 is only used by this hash below
            for { let i := 0 } and(lt(i, k), iszero(iszero(remaining))) { i := add(i, 1) } {
                mstore(0x20, i)
                let r := mod(keccak256(0x00, 0x40), remaining)
                let lanes := top
                let p := 0
                let j := 0
                for { let h := height } 1 {} {
                    // j = the number of lanes whose prefix sum is ≤ r = the lane holding r.
                    let prefix := mul(lanes, LANE_ONES)
                    j := mul(or(r, 0x100000000), FIELD_ONES)
                    j := add(
                        and(shr(32, sub(j, and(prefix, EVEN_LANES))), FIELD_ONES),
                        and(shr(32, sub(j, and(shr(32, prefix), EVEN_LANES))), FIELD_ONES)
                    )
                    j := shr(192, mul(j, FIELD_ONES))
                    // prefix − lanes: exclusive prefix sums (prefix ≥ lanes lane-wise, no borrows).
                    r := sub(r, and(shr(shl(5, j), sub(prefix, lanes)), LANE_MASK))
                    p := add(shl(3, p), j)
                    h := sub(h, 1)
                    if iszero(h) { break }
                    lanes := sload(add(base, or(shl(128, h), p)))
                    for { let q := entries } lt(q, end) { q := add(q, 0x20) } {
                        let x := shr(192, mload(q))
                        if eq(shr(mul(3, h), x), p) {
                            x := shl(shl(5, and(shr(sub(mul(3, h), 3), x), 7)), and(shr(160, mload(q)), LANE_MASK))
                            lanes := sub(lanes, x)
                        }
                    }
                }
                let weight := and(shr(shl(5, j), lanes), LANE_MASK)
                mstore(end, or(or(shl(192, p), shl(160, weight)), sload(add(base, p))))
                end := add(end, 0x20)
                top := sub(top, shl(shl(5, shr(sub(mul(3, height), 3), p)), weight))
                remaining := sub(remaining, weight)
            }
        }
        return end;
    }

    /// @dev Writes the members of `exclude` that are in the tree, deduplicated, from `entries` on
    /// as packed words leaf << 192 | weight << 160 (unallocated memory), and returns the header
    /// with their weights taken out of the root lanes, and the end of the words written.
    function _writeExcluded(Tree storage t, uint256 base, address[] memory exclude, uint256 entries)
        private
        view
        returns (uint256 top, uint256 end)
    {
        uint256 original = t._top;
        top = original;
        end = entries;
        for (uint256 i; i < exclude.length; ++i) {
            uint256 leafPlusOne = t._leafOf[exclude[i]];
            if (leafPlusOne == 0) continue;
            uint256 leaf;
            // leafPlusOne != 0.
            unchecked {
                leaf = leafPlusOne - 1;
            }
            uint256 weight = _leafWeight(base, original, leaf);
            assembly ("memory-safe") {
                let q := entries
                for {} and(lt(q, end), iszero(eq(shr(192, mload(q)), leaf))) {} { q := add(q, 0x20) }
                if eq(q, end) {
                    mstore(end, or(shl(192, leaf), shl(160, weight)))
                    end := add(end, 0x20)
                    // A distinct member's weight is part of its root lane: no borrow.
                    top := sub(top, shl(shl(5, shr(mul(3, shr(HEIGHT_SHIFT, top)), leaf)), weight))
                }
            }
        }
    }

    /// @dev Leaf `leaf`'s weight: lane leaf & 7 of node (1, leaf >> 3), the root if the height is 1.
    function _leafWeight(uint256 base, uint256 top, uint256 leaf) private view returns (uint256) {
        uint256 node;
        // (1 << 128 | leaf >> 3) < 2^129: the slot index wraps like an array's, by design.
        unchecked {
            node = top >> HEIGHT_SHIFT == 0 ? top : _sload(base + ((1 << 128) | (leaf >> 3)));
        }
        return (node >> ((leaf & 7) << 5)) & LANE_MASK;
    }

    function _rootTotal(uint256 top) private pure returns (uint256) {
        // Lane 7 of the product is the sum of lanes 0..6; the lanes' sum is < 2^32 (no carries).
        unchecked {
            return ((top & ROOT_LANES_MASK) * LANE_ONES) >> HEIGHT_SHIFT;
        }
    }

    /// @dev The first slot of `_nodes`' data area: node (h, p) is at base + (h << 128 | p).
    function _base(Tree storage t) private view returns (uint256 base) {
        uint256[] storage nodes = t._nodes;
        assembly ("memory-safe") {
            mstore(0x00, nodes.slot)
            base := keccak256(0x00, 0x20)
        }
    }

    function _sload(uint256 slot) private view returns (uint256 value) {
        assembly ("memory-safe") {
            value := sload(slot)
        }
    }

    function _sstore(uint256 slot, uint256 value) private {
        assembly ("memory-safe") {
            sstore(slot, value)
        }
    }

    function _saturatingAdd(uint256 a, uint256 b) private pure returns (uint256) {
        // Overflow is detected by the wrapped sum dropping below an operand.
        unchecked {
            uint256 sum = a + b;
            return sum < a ? type(uint256).max : sum;
        }
    }
}
