import net from 'node:net'
import { type ParsedMail, simpleParser } from 'mailparser'
import { SMTPServer } from 'smtp-server'

/** One message as the SMTP server received it: the envelope, the raw source and its parsed form. */
export type ReceivedMail = {
  envelope: { from: string | null; to: string[] }
  raw: string
  parsed: ParsedMail
}

/**
 * How the server answers SMTP_URL's port: `accepting` (a real SMTP conversation), `silent` (accepts
 * the connection and never says a word, like a hung server), `down` (nothing listens: refused).
 */
export type SmtpMode = 'accepting' | 'silent' | 'down'

export type TestSmtpServer = {
  /** `smtp://127.0.0.1:<port>` (plain SMTP, no STARTTLS offered), for SMTP_URL. */
  url: string
  port: number
  /** Every message accepted so far, in arrival order. */
  received: ReceivedMail[]
  /** Recipients the server answers `550` at RCPT TO (compared case-insensitively). */
  rejectRecipients: Set<string>
  /** The most connections held open at one time since the last switch to `silent`. */
  peakSilentConnections(): number
  /** Changes how the port answers from the next connection on; `accepting` at the start. */
  setMode(mode: SmtpMode): Promise<void>
  close(): Promise<void>
}

/**
 * A real SMTP server (the `smtp-server` package) behind a loopback port that can also play a hung
 * or a stopped server, so one app (one SMTP_URL) meets all three. It accepts any sender and any
 * recipient not in `rejectRecipients`, without authentication, and keeps what it receives in memory.
 * STARTTLS is disabled so the client speaks plain SMTP as `smtp://` asks.
 */
export async function startTestSmtpServer(): Promise<TestSmtpServer> {
  const received: ReceivedMail[] = []
  const rejectRecipients = new Set<string>()
  const smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onRcptTo(address, _session, callback) {
      if (rejectRecipients.has(address.address.toLowerCase())) {
        callback(Object.assign(new Error('5.1.1 Mailbox unavailable'), { responseCode: 550 }))
        return
      }
      callback()
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = []
      stream.on('data', (chunk: Buffer) => chunks.push(chunk))
      stream.on('error', callback)
      stream.on('end', () => {
        const raw = Buffer.concat(chunks)
        // The message counts as received before the server answers 250 to DATA, so a client that
        // has its answer finds it in `received`.
        simpleParser(raw).then(
          (parsed) => {
            const mailFrom = session.envelope.mailFrom
            received.push({
              envelope: {
                from: mailFrom ? mailFrom.address : null,
                to: session.envelope.rcptTo.map((recipient) => recipient.address),
              },
              raw: raw.toString('utf8'),
              parsed,
            })
            callback()
          },
          (error: Error) => callback(error),
        )
      })
    },
  })
  await new Promise<void>((resolve, reject) => {
    smtp.server.once('error', reject)
    smtp.listen(0, '127.0.0.1', () => resolve())
  })
  const smtpPort = (smtp.server.address() as net.AddressInfo).port

  // The port SMTP_URL names: relays connections to the SMTP server, or holds them in silence.
  let mode: SmtpMode = 'accepting'
  let silentConnections = 0
  let peakSilentConnections = 0
  const sockets = new Set<net.Socket>()
  const front = net.createServer((socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    socket.on('error', () => {})
    if (mode !== 'accepting') {
      silentConnections += 1
      peakSilentConnections = Math.max(peakSilentConnections, silentConnections)
      socket.on('close', () => {
        silentConnections -= 1
      })
      return
    }
    const upstream = net.connect(smtpPort, '127.0.0.1')
    sockets.add(upstream)
    upstream.on('close', () => sockets.delete(upstream))
    upstream.on('error', () => socket.destroy())
    socket.on('close', () => upstream.destroy())
    upstream.on('close', () => socket.destroy())
    socket.pipe(upstream).pipe(socket)
  })
  const listenFront = (port: number) =>
    new Promise<void>((resolve, reject) => {
      front.once('error', reject)
      front.listen(port, '127.0.0.1', () => {
        front.off('error', reject)
        resolve()
      })
    })
  const closeFront = () =>
    new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy()
      front.close(() => resolve())
    })
  await listenFront(0)
  const port = (front.address() as net.AddressInfo).port

  return {
    url: `smtp://127.0.0.1:${port}`,
    port,
    received,
    rejectRecipients,
    peakSilentConnections: () => peakSilentConnections,
    async setMode(next) {
      if (next === mode) return
      if (next === 'silent') peakSilentConnections = 0
      if (next === 'down') await closeFront()
      // Node listens with SO_REUSEADDR: the port is free again as soon as the listener closed.
      else if (mode === 'down') await listenFront(port)
      mode = next
    },
    async close() {
      if (mode !== 'down') await closeFront()
      await new Promise<void>((resolve) => smtp.close(() => resolve()))
    },
  }
}
