import { cleanup, configure } from '@testing-library/react';
import { afterEach, beforeEach } from 'vitest';
import { resetMedia } from './media';

// Pages are lazy chunks that Vitest compiles on first use, which can take a few seconds
// on a busy machine; findBy* waits that long before giving up.
configure({ asyncUtilTimeout: 5000 });

beforeEach(() => {
  window.localStorage.clear();
  document.documentElement.className = '';
  document.documentElement.removeAttribute('style');
  resetMedia();
});

afterEach(() => {
  cleanup();
});

// jsdom has <dialog> without showModal/close; these do what the tests rely on: toggle
// the open attribute (which makes the dialog and its contents visible to queries) and
// fire "close".
if (typeof HTMLDialogElement !== 'undefined' && !HTMLDialogElement.prototype.showModal) {
  HTMLDialogElement.prototype.showModal = function showModal(this: HTMLDialogElement) {
    this.setAttribute('open', '');
  };
  HTMLDialogElement.prototype.show = function show(this: HTMLDialogElement) {
    this.setAttribute('open', '');
  };
  HTMLDialogElement.prototype.close = function close(this: HTMLDialogElement) {
    this.removeAttribute('open');
    this.dispatchEvent(new Event('close'));
  };
}
