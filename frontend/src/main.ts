// First: a valid navigator.language before any module builds an Intl formatter.
import './lib/locale-guard';
import { mount } from 'svelte';
import App from './App.svelte';
import './app.css';

const target = document.getElementById('app');
if (!target) throw new Error('billfold: #app is missing from index.html');

export default mount(App, { target });
