// Audible cue for a new entrapment. Browsers start an AudioContext only from a user gesture,
// so the page shows a button; until it is pressed a new entrapment makes the button pulse.
/* global AudioContext */  // browser module (eslint.config.js lints with node globals)
import { t } from './i18n.js'

export class Sound {
  constructor(button) {
    this.button = button
    this.ctx = null
    this.enabled = false
    this.alerts = 0
    button.addEventListener('click', () => this.toggle())
    this.label()
  }

  toggle() {
    if (this.enabled) {
      this.enabled = false
    } else {
      this.ctx ??= new AudioContext()
      // resume() may settle late (or never, with no audio device); the click is what counts
      this.ctx.resume().catch(() => { this.enabled = false; this.label() })
      this.enabled = true
      this.button.classList.remove('attention')
      this.tone(0, 660, 0.12) // confirms it works
    }
    this.label()
  }

  label() {
    this.button.textContent = t(this.enabled ? 'soundOn' : 'soundOff')
    this.button.title = t('soundHint')
    this.button.setAttribute('aria-pressed', String(this.enabled))
    this.button.classList.toggle('on', this.enabled)
  }

  /** Three rising beeps; counted in data-alerts whether or not sound is on. */
  entrapment() {
    this.alerts++
    this.button.dataset.alerts = String(this.alerts)
    if (!this.enabled || !this.ctx) {
      this.button.classList.add('attention')
      return
    }
    for (let i = 0; i < 3; i++) this.tone(i * 0.3, 880 + i * 110, 0.2)
  }

  tone(at, freq, length) {
    if (!this.ctx) return
    const start = this.ctx.currentTime + at
    const osc = this.ctx.createOscillator()
    const gain = this.ctx.createGain()
    osc.type = 'square'
    osc.frequency.value = freq
    // short attack and release: no clicks
    gain.gain.setValueAtTime(0, start)
    gain.gain.linearRampToValueAtTime(0.2, start + 0.01)
    gain.gain.setValueAtTime(0.2, start + length - 0.03)
    gain.gain.linearRampToValueAtTime(0, start + length)
    osc.connect(gain).connect(this.ctx.destination)
    osc.start(start)
    osc.stop(start + length + 0.02)
  }
}
