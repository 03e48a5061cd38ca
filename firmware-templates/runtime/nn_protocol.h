/* The bridge protocol v1 (docs/protocol.md), board side: a byte-fed request decoder and the reply writer. */
/* No line buffer: hex goes straight into the one pending input array and the CRC is updated as each byte arrives. */
#ifndef NN_PROTOCOL_H
#define NN_PROTOCOL_H

#include "nn_platform.h"

#define NN_PROTO_VERSION 1
/* Requests the host may have unanswered: one computing, one arriving. */
#define NN_PROTO_WINDOW 2

#if NN_WEIGHTS_IN_FLASH
#define NN_TEXT(s) PSTR(s)
#else
#define NN_TEXT(s) (s)
#endif

/* What a complete line asks for; nn_decode() returns one of these when a line ends. */
enum { NN_EV_NONE = 0, NN_EV_REQUEST, NN_EV_ERROR, NN_EV_QUERY, NN_EV_HUMAN };
/* Error codes, in the words of the protocol (nn_error_name). */
enum { NN_ERR_NONE = 0, NN_ERR_CRC, NN_ERR_LEN, NN_ERR_HEX, NN_ERR_FRAME, NN_ERR_LONG };
enum { NN_S_START = 0, NN_S_SEQ, NN_S_HEX, NN_S_CRC, NN_S_QUERY, NN_S_HUMAN, NN_S_SKIP };

typedef struct {
  float *inputs;      /* the pending input array, n_inputs floats */
  uint16_t n_inputs;
  uint16_t max_length; /* longest request line: '>' + 8 seq digits + ':' + 8n hex + '*' + 4 */
  uint8_t state;
  uint8_t error;      /* first problem found in the current line */
  uint8_t seq_digits;
  uint8_t seq_known;
  uint8_t crc_digits;
  uint8_t cr;         /* a '\r' was just read: only '\n' may follow it */
  uint16_t crc;       /* CRC-16/CCITT-FALSE of the bytes before '*', so far */
  uint16_t given_crc;
  uint16_t nibbles;   /* hex digits of inputs received */
  uint16_t length;
  uint32_t seq;
  uint32_t word;
  /* human mode: the number being read */
  uint16_t count;     /* values read in this line */
  uint32_t mant;
  int16_t dexp;
  int16_t exp;
  uint8_t mant_digits;
  uint8_t flags;
} nn_decoder;

#define NN_H_ACTIVE 1
#define NN_H_NEG 2
#define NN_H_FRAC 4
#define NN_H_EXP 8
#define NN_H_EXP_NEG 16
#define NN_H_DIGIT 32
#define NN_H_EXP_DIGIT 64

/* CRC-16/CCITT-FALSE, a nibble at a time: two lookups per byte instead of eight shifts (every received byte pays it). */
static const uint16_t nn_crc_nibble[16] NN_CONST_DATA = {
  0x0000u, 0x1021u, 0x2042u, 0x3063u, 0x4084u, 0x50a5u, 0x60c6u, 0x70e7u,
  0x8108u, 0x9129u, 0xa14au, 0xb16bu, 0xc18cu, 0xd1adu, 0xe1ceu, 0xf1efu,
};

static NN_UNUSED uint16_t nn_crc16_update(uint16_t crc, uint8_t c) {
  crc = (uint16_t)((crc << 4) ^ NN_READ_WORD(&nn_crc_nibble[(uint8_t)((crc >> 12) ^ (c >> 4))]));
  crc = (uint16_t)((crc << 4) ^ NN_READ_WORD(&nn_crc_nibble[(uint8_t)((crc >> 12) ^ (c & 0x0fu))]));
  return crc;
}

static NN_UNUSED void nn_decoder_init(nn_decoder *d, float *inputs, uint16_t n_inputs) {
  memset(d, 0, sizeof *d);
  d->inputs = inputs;
  d->n_inputs = n_inputs;
  d->max_length = (uint16_t)(15u + 8u * n_inputs);
}

/* 0-15 for '0'-'9' and 'a'-'f' (the protocol's lowercase hex), else 255. */
static NN_UNUSED uint8_t nn_hex_lower(uint8_t c) {
  if (c >= '0' && c <= '9') return (uint8_t)(c - '0');
  if (c >= 'a' && c <= 'f') return (uint8_t)(c - 'a' + 10);
  return 255;
}

static NN_UNUSED uint8_t nn_line_done(nn_decoder *d, uint8_t event) {
  d->state = NN_S_START;
  return event;
}

static NN_UNUSED uint8_t nn_line_error(nn_decoder *d, uint8_t code) {
  d->error = code;
  return nn_line_done(d, NN_EV_ERROR);
}

/* Ends the number being read in human mode; returns 0 if it was not a number. */
static NN_UNUSED uint8_t nn_human_number_end(nn_decoder *d) {
  float v;
  int16_t e;
  if (!(d->flags & NN_H_ACTIVE)) return 1;
  if (!(d->flags & NN_H_DIGIT) || ((d->flags & NN_H_EXP) && !(d->flags & NN_H_EXP_DIGIT))) return 0;
  v = (float)d->mant;
  e = (int16_t)(d->dexp + ((d->flags & NN_H_EXP_NEG) ? -d->exp : d->exp));
  for (; e > 0; e--) v = v * 10.0f;
  for (; e < 0; e++) v = v / 10.0f;
  if (d->flags & NN_H_NEG) v = -v;
  if (d->count < d->n_inputs) d->inputs[d->count] = v;
  if (d->count < 0xFFFFu) d->count++;
  d->flags = 0;
  return 1;
}

static NN_UNUSED void nn_human_number_start(nn_decoder *d) {
  d->flags = NN_H_ACTIVE;
  d->mant = 0;
  d->mant_digits = 0;
  d->dexp = 0;
  d->exp = 0;
}

/* One byte of a human-mode line: decimals separated by commas or spaces. Returns 0 on a character that cannot be there. */
static NN_UNUSED uint8_t nn_human_byte(nn_decoder *d, uint8_t c) {
  uint8_t f = d->flags;
  if (c == ',' || c == ' ' || c == '\t' || c == ';') return nn_human_number_end(d);
  if (!(f & NN_H_ACTIVE)) nn_human_number_start(d);
  f = d->flags;
  if (c >= '0' && c <= '9') {
    uint8_t v = (uint8_t)(c - '0');
    if (f & NN_H_EXP) {
      if (d->exp < 100) d->exp = (int16_t)(d->exp * 10 + v);
      d->flags |= NN_H_EXP_DIGIT;
    } else {
      if (d->mant_digits < 9) {
        d->mant = d->mant * 10u + v;
        if (d->mant != 0) d->mant_digits++;
        if (f & NN_H_FRAC) d->dexp--;
      } else if (!(f & NN_H_FRAC)) {
        d->dexp++;
      }
      d->flags |= NN_H_DIGIT;
    }
    return 1;
  }
  if (c == '.') {
    if (f & (NN_H_FRAC | NN_H_EXP)) return 0;
    d->flags |= NN_H_FRAC;
    return 1;
  }
  if (c == '-' || c == '+') {
    if (f & NN_H_EXP) {
      if (f & NN_H_EXP_DIGIT) return 0;
      if (c == '-') d->flags |= NN_H_EXP_NEG;
      return 1;
    }
    if (f & (NN_H_DIGIT | NN_H_FRAC)) return 0;
    if (c == '-') d->flags |= NN_H_NEG;
    return 1;
  }
  if ((c == 'e' || c == 'E') && (f & NN_H_DIGIT) && !(f & NN_H_EXP)) {
    d->flags |= NN_H_EXP;
    return 1;
  }
  return 0;
}

/*
 * Feed one received byte. Returns NN_EV_NONE while a line is incomplete, else the event of the line that just ended:
 * NN_EV_REQUEST (inputs[] holds the request, d->seq its number), NN_EV_ERROR (d->error, d->seq if d->seq_known),
 * NN_EV_QUERY (`?`), NN_EV_HUMAN (d->count values read into inputs[]; d->error NN_ERR_FRAME if the line was not numbers).
 * The caller handles the event before feeding more bytes: until then inputs[] must stay as it is.
 */
static NN_UNUSED uint8_t nn_decode(nn_decoder *d, uint8_t c) {
  uint8_t v;
  if (d->state == NN_S_START) {
    if (c == '\n' || c == '\r') return NN_EV_NONE;
    d->error = NN_ERR_NONE;
    d->length = 1;
    d->seq = 0;
    d->seq_known = 0;
    d->seq_digits = 0;
    d->cr = 0;
    if (c == '>') {
      d->crc = nn_crc16_update(0xFFFFu, c);
      d->nibbles = 0;
      d->word = 0;
      d->crc_digits = 0;
      d->given_crc = 0;
      d->state = NN_S_SEQ;
    } else if (c == '?') {
      d->state = NN_S_QUERY;
    } else if ((c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.') {
      d->count = 0;
      d->flags = 0;
      d->state = NN_S_HUMAN;
      nn_human_byte(d, c);
    } else {
      d->error = NN_ERR_FRAME;
      d->state = NN_S_SKIP;
    }
    return NN_EV_NONE;
  }
  /* The protocol ignores a '\r' only right before the '\n': anywhere else the line is not a valid frame. */
  if (c == '\r') {
    d->cr = 1;
    return NN_EV_NONE;
  }
  if (d->cr) {
    d->cr = 0;
    if (c != '\n' && d->error == NN_ERR_NONE) d->error = NN_ERR_FRAME;
  }
  if (d->state == NN_S_HUMAN) {
    if (c == '\n') {
      if (d->error == NN_ERR_NONE && !nn_human_number_end(d)) d->error = NN_ERR_FRAME;
      return nn_line_done(d, NN_EV_HUMAN);
    }
    if (d->error == NN_ERR_NONE && !nn_human_byte(d, c)) d->error = NN_ERR_FRAME;
    return NN_EV_NONE;
  }
  if (c == '\n') {
    switch (d->state) {
      case NN_S_QUERY:
        return nn_line_done(d, NN_EV_QUERY);
      case NN_S_CRC:
        if (d->error == NN_ERR_LONG) return nn_line_error(d, NN_ERR_LONG);
        if (d->crc_digits != 4 || d->given_crc != d->crc) return nn_line_error(d, NN_ERR_CRC);
        if (d->error != NN_ERR_NONE) return nn_line_error(d, d->error);
        if (d->nibbles != 8u * d->n_inputs) return nn_line_error(d, NN_ERR_LEN);
        return nn_line_done(d, NN_EV_REQUEST);
      case NN_S_SKIP:
        return nn_line_error(d, d->error);
      default: /* a request cut off before its check value */
        return nn_line_error(d, d->error == NN_ERR_LONG ? NN_ERR_LONG : NN_ERR_FRAME);
    }
  }
  if (d->length < 0xFFFFu) d->length++;
  if (d->length > d->max_length && d->state != NN_S_SKIP && d->state != NN_S_QUERY) {
    d->error = NN_ERR_LONG;
    d->state = NN_S_SKIP;
    return NN_EV_NONE;
  }
  switch (d->state) {
    case NN_S_SEQ:
      d->crc = nn_crc16_update(d->crc, c);
      v = nn_hex_lower(c);
      if (v < 16 && d->seq_digits < 8) {
        d->seq = (d->seq << 4) | v;
        d->seq_digits++;
      } else if (c == ':' && d->seq_digits > 0) {
        d->seq_known = 1;
        d->state = NN_S_HEX;
      } else {
        d->error = NN_ERR_FRAME;
        d->state = NN_S_SKIP;
      }
      break;
    case NN_S_HEX:
      if (c == '*') {
        d->state = NN_S_CRC;
        break;
      }
      d->crc = nn_crc16_update(d->crc, c);
      v = nn_hex_lower(c);
      if (v >= 16) {
        if (d->error == NN_ERR_NONE) d->error = NN_ERR_HEX;
      } else if (d->nibbles < 8u * d->n_inputs) {
        d->word = (d->word << 4) | v;
        if ((d->nibbles & 7u) == 7u && d->error == NN_ERR_NONE) d->inputs[d->nibbles >> 3] = nn_bits_float(d->word);
        d->nibbles++;
      } else {
        d->nibbles = (uint16_t)(8u * d->n_inputs + 1u); /* too many: remembered as "not n floats" */
      }
      break;
    case NN_S_CRC:
      if (c >= '0' && c <= '9') v = (uint8_t)(c - '0');
      else if (c >= 'A' && c <= 'F') v = (uint8_t)(c - 'A' + 10);
      else v = 255;
      if (v < 16 && d->crc_digits < 4) d->given_crc = (uint16_t)((d->given_crc << 4) | v);
      else d->crc_digits = 5; /* anything but 4 uppercase hex digits is a wrong check value */
      if (d->crc_digits < 5) d->crc_digits++;
      break;
    case NN_S_QUERY:
      d->error = NN_ERR_FRAME;
      d->state = NN_S_SKIP;
      break;
    default: /* NN_S_SKIP: wait for the end of the line */
      break;
  }
  return NN_EV_NONE;
}

/* ---- Writing frames: every byte before '*' goes through the CRC. ---- */

typedef void (*nn_put_fn)(uint8_t c);

typedef struct {
  nn_put_fn put;
  uint16_t crc;
} nn_writer;

static NN_UNUSED void nn_w_begin(nn_writer *w, nn_put_fn put) {
  w->put = put;
  w->crc = 0xFFFFu;
}

static NN_UNUSED void nn_w_char(nn_writer *w, uint8_t c) {
  w->crc = nn_crc16_update(w->crc, c);
  w->put(c);
}

/* A string in flash on AVR (NN_TEXT), in RAM elsewhere. */
static NN_UNUSED void nn_w_text(nn_writer *w, const char *s) {
  uint8_t c;
  while ((c = NN_READ_BYTE(s)) != 0) {
    nn_w_char(w, c);
    s++;
  }
}

static const char nn_hex_digits[] NN_CONST_DATA = "0123456789abcdef";

/* `digits` lowercase hex digits of v, most significant first. */
static NN_UNUSED void nn_w_hex(nn_writer *w, uint32_t v, uint8_t digits) {
  while (digits-- > 0) nn_w_char(w, NN_READ_BYTE(nn_hex_digits + ((v >> (4u * digits)) & 15u)));
}

/* A sequence number: 1 to 8 lowercase hex digits, no leading zeros. */
static NN_UNUSED void nn_w_seq(nn_writer *w, uint32_t seq) {
  uint8_t digits = 1;
  while (digits < 8 && (seq >> (4u * digits)) != 0) digits++;
  nn_w_hex(w, seq, digits);
}

static NN_UNUSED void nn_w_uint(nn_writer *w, uint16_t v) {
  char buf[6];
  uint8_t n = 0;
  do {
    buf[n++] = (char)('0' + v % 10u);
    v = (uint16_t)(v / 10u);
  } while (v != 0);
  while (n > 0) nn_w_char(w, (uint8_t)buf[--n]);
}

/* '*', the check value as 4 uppercase hex digits, '\n'. */
static NN_UNUSED void nn_w_end(nn_writer *w) {
  uint16_t crc = w->crc;
  int8_t shift;
  w->put('*');
  for (shift = 12; shift >= 0; shift -= 4) {
    uint8_t n = (uint8_t)((crc >> shift) & 15u);
    w->put((uint8_t)(n < 10 ? '0' + n : 'A' + n - 10));
  }
  w->put('\n');
}

static NN_UNUSED const char *nn_error_name(uint8_t code) {
  switch (code) {
    case NN_ERR_CRC: return NN_TEXT("crc");
    case NN_ERR_LEN: return NN_TEXT("len");
    case NN_ERR_HEX: return NN_TEXT("hex");
    case NN_ERR_LONG: return NN_TEXT("long");
    default: return NN_TEXT("frame");
  }
}

/* `#READY proto=1 model=<hash> board=<id> in=<n> out=<m> window=2*CRC` */
static NN_UNUSED void nn_send_ready(nn_put_fn put, const char *hash, const char *board, uint16_t n_in, uint16_t n_out) {
  nn_writer w;
  nn_w_begin(&w, put);
  nn_w_text(&w, NN_TEXT("#READY proto=1 model="));
  nn_w_text(&w, hash);
  nn_w_text(&w, NN_TEXT(" board="));
  nn_w_text(&w, board);
  nn_w_text(&w, NN_TEXT(" in="));
  nn_w_uint(&w, n_in);
  nn_w_text(&w, NN_TEXT(" out="));
  nn_w_uint(&w, n_out);
  nn_w_text(&w, NN_TEXT(" window="));
  nn_w_uint(&w, NN_PROTO_WINDOW);
  nn_w_end(&w);
}

/* `=<seq>:<outputs as float32 hex>:<cycles, 8 hex digits>*CRC` */
static NN_UNUSED void nn_send_reply(nn_put_fn put, uint32_t seq, const float *out, uint16_t n_out, uint32_t cycles) {
  nn_writer w;
  uint16_t i;
  nn_w_begin(&w, put);
  nn_w_char(&w, '=');
  nn_w_seq(&w, seq);
  nn_w_char(&w, ':');
  for (i = 0; i < n_out; i++) nn_w_hex(&w, nn_float_bits(out[i]), 8);
  nn_w_char(&w, ':');
  nn_w_hex(&w, cycles, 8);
  nn_w_end(&w);
}

/* `!<seq>:<code>*CRC`, seq `?` when it could not be read. */
static NN_UNUSED void nn_send_error(nn_put_fn put, const nn_decoder *d) {
  nn_writer w;
  nn_w_begin(&w, put);
  nn_w_char(&w, '!');
  if (d->seq_known) nn_w_seq(&w, d->seq);
  else nn_w_char(&w, '?');
  nn_w_char(&w, ':');
  nn_w_text(&w, nn_error_name(d->error));
  nn_w_end(&w);
}

#endif
