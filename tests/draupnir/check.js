// Reads groupscan's exported m.policy.rule.room events the way Draupnir does, with matrix-protection-suite (the
// library Draupnir runs when it reads a policy room), and prints what it made of them as JSON.
//
// Input (a JSON file named on the command line):
//   {"policy_room": "!id:server", "variants": {NAME: [event, ...]}, "expected": [room id or alias, ...]}
// Each exported event is completed as a homeserver serves room state (event_id, sender, origin_server_ts,
// room_id), decoded by the library's DefaultEventDecoder (strictly: the decoder registered for the event type, so
// invalid content is an error, not an "undecodable" stand-in), parsed by parsePolicyRule, and folded into a
// policy room revision and a policy list revision; then every expected entity is looked up in both revisions, the
// hashed rules included (searchHashedRules), under the recommendation the variant's rules carry.
'use strict';
const fs = require('fs');
const mps = require('@gnuxie/matrix-protection-suite');
const { MatrixRoomID } = require('@the-draupnir-project/matrix-basic-types');

const input = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const room = new MatrixRoomID(input.policy_room);
const out = { library: require('@gnuxie/matrix-protection-suite/package.json').version, variants: {} };

for (const [name, events] of Object.entries(input.variants)) {
  const report = {
    events: events.length, decoded: 0, parsed: 0, errors: [], recommendations: [], state_keys: [],
    match_types: [], matched: {}, matched_in_room_revision: {}, room_revision_rules: 0, list_revision_rules: 0,
  };
  const decoded = [];
  events.forEach((event, i) => {
    const served = {
      ...event, event_id: `$groupscan${name}${i}`, sender: '@groupscan:example.org',
      origin_server_ts: 1700000000000 + i, room_id: input.policy_room, unsigned: {},
    };
    const decoder = mps.DefaultEventDecoder.getDecoderForEventType(served.type);
    if (decoder === undefined) {
      report.errors.push(`${i}: no decoder for ${served.type}`);
      return;
    }
    const result = decoder(served);
    if (mps.isError(result)) {
      report.errors.push(`${i}: decode: ${result.error.message}`);
      return;
    }
    const viaDefault = mps.DefaultEventDecoder.decodeStateEvent(served);
    if (mps.isError(viaDefault)) {
      report.errors.push(`${i}: decodeStateEvent: ${viaDefault.error.message}`);
      return;
    }
    report.decoded += 1;
    const parsed = mps.parsePolicyRule(result.ok);
    if (mps.isError(parsed)) {
      report.errors.push(`${i}: parse: ${parsed.error.message}`);
      return;
    }
    report.parsed += 1;
    report.recommendations.push(parsed.ok.recommendation);
    report.match_types.push(parsed.ok.matchType);
    report.state_keys.push(result.ok.state_key);
    decoded.push(result.ok);
  });

  const blank = mps.StandardPolicyRoomRevision.blankRevision(room);
  const roomRevision = blank.reviseFromState(decoded);
  const changes = blank.changesFromState(decoded);
  const listRevision = mps.StandardPolicyListRevision.blankRevision().reviseFromChanges(changes);
  report.room_revision_rules = roomRevision.allRules().length;
  report.list_revision_rules = listRevision.allRules().length;
  const recommendation = report.recommendations[0] ?? mps.Recommendation.Ban;
  for (const entity of input.expected) {
    const options = { type: mps.PolicyRuleType.Room, recommendation, searchHashedRules: true };
    report.matched[entity] = listRevision.findRuleMatchingEntity(entity, options) !== undefined;
    report.matched_in_room_revision[entity] = roomRevision.allRulesMatchingEntity(entity, options).length > 0;
  }
  out.variants[name] = report;
}
process.stdout.write(JSON.stringify(out, null, 1) + '\n');
