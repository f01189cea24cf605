// tests/compat/kafkajs/compat_test.js HOST:PORT: kafkajs against a running sluiced (started by
// tests/compat/kafkajs_test.sh). Exits 0 when everything holds, 1 with the reason otherwise.
//
//   1. The admin client creates a 4-partition topic; its metadata lists 4 partitions.
//   2. Two consumers join one group (subscribed from the beginning, no automatic commits); the
//      test waits until the group gives each of them 2 of the 4 partitions.
//   3. A producer (acks=-1) sends N keyed messages (200 keys) in batches.
//   4. The group consumes them, each member committing its batch's offsets after processing it.
//      Asserted: every acknowledged message is consumed exactly once, with its key and value, by
//      the member that owns its partition; each partition's offsets are 0..n-1 in order; each
//      key's messages arrive in the order they were sent; nothing else arrives.
//   5. The members leave; the group's committed offsets (admin fetchOffsets) equal the high
//      watermarks (admin fetchTopicOffsets).
//   6. M more messages; a new member of the same group resumes from the committed offsets: it
//      consumes exactly those M (and not the first N again, although it subscribes from the
//      beginning), and commits; the committed offsets are the new high watermarks.
'use strict'

const { Kafka, logLevel, Partitioners } = require('kafkajs')

const broker = process.argv[2]
const topic = 'compat-kafkajs'
const groupId = 'compat-kafkajs-group'
const PARTITIONS = 4
const N = 5000
const M = 500
const KEYS = 200
const BATCH = 250
const started = Date.now()

function say (text) {
  process.stderr.write(`kafkajs_test [${((Date.now() - started) / 1000).toFixed(2)}s]: ${text}\n`)
}

class Failure extends Error {}
function check (condition, text) {
  if (!condition) throw new Failure(text)
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

async function waitFor (what, timeoutMs, condition) {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    check(Date.now() < deadline, `${what}: not after ${timeoutMs} ms`)
    await sleep(20)
  }
}

const kafka = new Kafka({
  clientId: 'compat-kafkajs',
  brokers: [broker],
  logLevel: logLevel.WARN,
  retry: { initialRetryTime: 100, retries: 8 }
})

// The producer's partitioner, asked again where each message went (murmur2 of the key).
const partitionOf = Partitioners.DefaultPartitioner()
const partitionMetadata = Array.from({ length: PARTITIONS }, (_, p) => ({ partitionId: p, leader: 0 }))

const messageOf = (i) => ({ key: `key-${i % KEYS}`, value: `message ${i} ${'y'.repeat(i % 41)}` })

// What the producer had acknowledged and what the group consumed, by "partition/offset".
const acked = new Map()
const consumed = new Map()
const nextOffset = new Array(PARTITIONS).fill(0)
const failures = []

async function produce (producer, from, to) {
  for (let start = from; start < to; start += BATCH) {
    const messages = []
    for (let i = start; i < Math.min(to, start + BATCH); i++) messages.push(messageOf(i))
    const metadata = await producer.send({ topic, acks: -1, messages })
    // One entry per partition: its batch's first offset. The k-th message the producer's
    // partitioner (deterministic for keyed messages) sent to a partition is at baseOffset + k.
    const byPartition = new Map()
    for (const message of messages) {
      const partition = partitionOf({ topic, partitionMetadata, message })
      if (!byPartition.has(partition)) byPartition.set(partition, [])
      byPartition.get(partition).push(message)
    }
    for (const entry of metadata) {
      check(entry.topicName === topic, `produce answer for topic ${entry.topicName}`)
      check(entry.errorCode === 0, `produce to partition ${entry.partition}: error ${entry.errorCode}`)
      const sent = byPartition.get(entry.partition) || []
      const base = Number(entry.baseOffset)
      sent.forEach((message, k) => acked.set(`${entry.partition}/${base + k}`, message))
      byPartition.delete(entry.partition)
    }
    check(byPartition.size === 0, `no produce answer for partitions ${[...byPartition.keys()]}`)
  }
}

// A group member: records each batch, checks it, then commits its offsets (awaited) before
// kafkajs hands it the next batch.
function member (name, assignments) {
  const consumer = kafka.consumer({
    groupId,
    sessionTimeout: 10000,
    rebalanceTimeout: 20000,
    heartbeatInterval: 300,
    maxWaitTimeInMs: 200,
    retry: { initialRetryTime: 100, retries: 8 }
  })
  consumer.on(consumer.events.GROUP_JOIN, (event) => {
    const partitions = (event.payload.memberAssignment[topic] || []).slice().sort()
    assignments.set(name, partitions)
    say(`member ${name} joined: partitions [${partitions}]`)
  })
  consumer.on(consumer.events.CRASH, (event) => {
    failures.push(`member ${name} crashed: ${event.payload.error}`)
  })
  const run = async () => {
    await consumer.connect()
    await consumer.subscribe({ topics: [topic], fromBeginning: true })
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch, resolveOffset, heartbeat }) => {
        try {
          const p = batch.partition
          check(batch.topic === topic, `batch from topic ${batch.topic}`)
          const owned = assignments.get(name) || []
          check(owned.includes(p), `member ${name} got partition ${p}, owns [${owned}]`)
          for (const message of batch.messages) {
            const where = `${p}/${message.offset}`
            check(!consumed.has(where), `member ${name}: ${where} consumed a second time`)
            check(Number(message.offset) === nextOffset[p],
              `member ${name}: partition ${p} offset ${message.offset}, expected ${nextOffset[p]}`)
            consumed.set(where, { key: message.key.toString(), value: message.value.toString() })
            nextOffset[p] = Number(message.offset) + 1
            resolveOffset(message.offset)
          }
          if (batch.messages.length > 0) {
            await consumer.commitOffsets([{ topic, partition: p, offset: String(nextOffset[p]) }])
          }
          await heartbeat()
        } catch (e) {
          failures.push(e instanceof Failure ? e.message : `member ${name}: ${e.stack || e}`)
        }
      }
    })
  }
  return { consumer, run }
}

async function checkCommitted (admin, what) {
  const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] })
  const high = await admin.fetchTopicOffsets(topic)
  const committed = offsets.partitions.map((p) => [p.partition, Number(p.offset)]).sort((a, b) => a[0] - b[0])
  const watermarks = high.map((p) => [p.partition, Number(p.high)]).sort((a, b) => a[0] - b[0])
  check(JSON.stringify(committed) === JSON.stringify(watermarks),
    `${what}: committed offsets ${JSON.stringify(committed)}, high watermarks ${JSON.stringify(watermarks)}`)
  const counts = new Array(PARTITIONS).fill(0)
  for (const where of acked.keys()) counts[Number(where.split('/')[0])]++
  check(JSON.stringify(watermarks.map((w) => w[1])) === JSON.stringify(counts),
    `${what}: high watermarks ${JSON.stringify(watermarks)}, acknowledged per partition ${counts}`)
  say(`${what}: committed offsets = high watermarks = [${counts}]`)
}

function checkConsumed (what) {
  check(failures.length === 0, `${what}: ${failures.slice(0, 5).join('; ')}`)
  check(consumed.size === acked.size, `${what}: ${consumed.size} consumed, ${acked.size} acknowledged`)
  const lastOfKey = new Map()
  const sorted = [...acked.keys()].sort((a, b) => {
    const [pa, oa] = a.split('/').map(Number)
    const [pb, ob] = b.split('/').map(Number)
    return pa - pb || oa - ob
  })
  for (const where of sorted) {
    const want = acked.get(where)
    const got = consumed.get(where)
    check(got !== undefined, `${what}: ${where} (${want.value}) never consumed`)
    check(got.key === want.key && got.value === want.value,
      `${what}: ${where} is ${JSON.stringify(got)}, sent ${JSON.stringify(want)}`)
    const i = Number(want.value.split(' ')[1])
    check((lastOfKey.get(want.key) ?? -1) < i, `${what}: key ${want.key}: message ${i} after a later one`)
    lastOfKey.set(want.key, i)
  }
}

async function main () {
  check(broker, 'usage: compat_test.js HOST:PORT')
  const admin = kafka.admin()
  await admin.connect()
  const created = await admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS }], waitForLeaders: true })
  check(created === true, `createTopics answered ${created}`)
  const { topics } = await admin.fetchTopicMetadata({ topics: [topic] })
  check(topics.length === 1 && topics[0].partitions.length === PARTITIONS,
    `metadata: ${JSON.stringify(topics)}`)
  say(`admin: created ${topic} with ${PARTITIONS} partitions`)

  // The group forms on the empty topic, before anything is produced.
  const assignments = new Map()
  const members = [member('a', assignments), member('b', assignments)]
  await Promise.all(members.map((m) => m.run()))
  const split = () => {
    const a = assignments.get('a') || []
    const b = assignments.get('b') || []
    return a.length === 2 && b.length === 2 && [...a, ...b].sort().join() === '0,1,2,3'
  }
  await waitFor('the group splitting the partitions 2 + 2', 30000, () => split() || failures.length > 0)
  check(failures.length === 0, failures.join('; '))
  say(`group split: a [${assignments.get('a')}], b [${assignments.get('b')}]`)

  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false })
  await producer.connect()
  await produce(producer, 0, N)
  say(`${acked.size} messages acknowledged`)
  await waitFor(`consuming ${N} messages`, 30000, () => consumed.size >= N || failures.length > 0)
  await sleep(1000) // anything more would be a duplicate
  checkConsumed('the group of two')
  check(split(), `the assignment changed: a [${assignments.get('a')}], b [${assignments.get('b')}]`)
  say(`${consumed.size} messages consumed exactly once`)
  await Promise.all(members.map((m) => m.consumer.disconnect()))
  await checkCommitted(admin, 'after the group of two')

  // A new member resumes from the committed offsets.
  await produce(producer, N, N + M)
  say(`${acked.size} messages acknowledged`)
  const one = new Map()
  const late = member('c', one)
  await late.run()
  await waitFor(`consuming ${M} more`, 30000, () => consumed.size >= N + M || failures.length > 0)
  await sleep(1000)
  checkConsumed('the resumed member')
  await late.consumer.disconnect()
  await checkCommitted(admin, 'after the resumed member')
  await producer.disconnect()
  await admin.disconnect()
}

main().then(() => {
  say('PASS')
  process.exit(0)
}, (e) => {
  say(`FAIL: ${e instanceof Failure ? e.message : e.stack || e}`)
  process.exit(1)
})
