import { onBeforeUnmount, ref, watch } from 'vue';

const STORAGE_KEY = 'zhiku.chat.readAloud';
const CJK = /[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]/;

/** What a voice should say: no code, no Markdown symbols, no citation marks. */
export function speechText(text: string): string {
  return text
    .replace(/```[\s\S]*?(```|$)/g, ' ')
    .replace(/`([^`]*)`/g, '$1')
    .replace(/\[(\^?\d+(?:\s*[,，、]\s*\d+)*)\]|【\d+】/g, '')
    .replace(/^\s{0,3}(#{1,6}|[-*+])\s+/gm, '')
    .replace(/(\*\*|__|~~|\*)/g, '')
    .replace(/\s+/g, ' ')
    .trim();
}

/**
 * Read-aloud of answers with the browser's speech synthesis: each sentence is queued as it arrives, in a
 * Chinese or English voice by the sentence's own language. The switch is remembered in this browser.
 */
export function useReadAloud() {
  const synth = typeof window !== 'undefined' && 'speechSynthesis' in window ? window.speechSynthesis : undefined;
  const supported = !!synth;
  const enabled = ref(supported && localStorage.getItem(STORAGE_KEY) === 'on');
  const speaking = ref(false);
  let pending = 0;

  watch(enabled, (on) => {
    localStorage.setItem(STORAGE_KEY, on ? 'on' : 'off');
    if (!on) stop();
  });

  function voiceFor(lang: string): SpeechSynthesisVoice | undefined {
    const voices = synth?.getVoices() ?? [];
    const prefix = lang.slice(0, 2);
    return voices.find((v) => v.lang === lang) ?? voices.find((v) => v.lang.toLowerCase().startsWith(prefix));
  }

  function speak(sentence: string) {
    if (!synth || !enabled.value) return;
    const text = speechText(sentence);
    if (!text) return;
    const utterance = new SpeechSynthesisUtterance(text);
    utterance.lang = CJK.test(text) ? 'zh-CN' : 'en-US';
    const voice = voiceFor(utterance.lang);
    if (voice) utterance.voice = voice;
    pending++;
    speaking.value = true;
    const finished = () => {
      pending = Math.max(0, pending - 1);
      speaking.value = pending > 0;
    };
    utterance.onend = finished;
    utterance.onerror = finished;
    synth.speak(utterance);
  }

  function stop() {
    pending = 0;
    speaking.value = false;
    synth?.cancel();
  }

  onBeforeUnmount(stop);
  return { supported, enabled, speaking, speak, stop };
}
